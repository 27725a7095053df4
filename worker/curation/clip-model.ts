import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CLIP_MEAN, CLIP_SIZE, CLIP_STD, clipPreprocessBatch } from "./clip-preprocess.ts";
import type { RgbImage } from "./rgb-image.ts";
import { ClipTokenizer } from "../../lib/tokenizer/clip-tokenizer.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { ModelSession } from "../onnx/model-session.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import { floatTensor, intTensor, readFloats } from "../onnx/tensor-feeds.ts";

/** What CLIP says about a set of images against one prompt. */
export interface ClipScores {
  /** Cosine similarity of each image with the prompt, clamped to 0–1 (CLIPScore's max(cos, 0)). */
  similarity: number[];
  /** Each image's embedding as the model returns it: the aesthetic scorer's input. */
  imageEmbeds: Float32Array[];
}

/** A CLIP export (HF CLIPModel → ONNX: input_ids, attention_mask, pixel_values → text_embeds, image_embeds). */
export class ClipModel {
  private constructor(
    readonly name: string,
    private readonly tokenizer: ClipTokenizer,
    private readonly session: ModelSession,
  ) {
    session.input("input_ids");
    session.input("pixel_values");
  }

  static async load(name: string, dir: string, factory: SessionFactory, meter: RunMeter): Promise<ClipModel> {
    await checkPreprocessor(name, join(dir, "preprocessor_config.json"));
    const tokenizer = await ClipTokenizer.fromDir(join(dir, "tokenizer"));
    const session = new ModelSession(await factory.open(join(dir, "model.onnx")), name, meter);
    return new ClipModel(name, tokenizer, session);
  }

  /** All images in one run ([N, 3, 224, 224] against the prompt's [1, 77]), or one run per image. */
  async score(
    prompt: string,
    images: readonly RgbImage[],
    mode: "batched" | "one-by-one",
  ): Promise<ClipScores> {
    if (mode === "batched") return this.run(prompt, images);
    const results: ClipScores = { similarity: [], imageEmbeds: [] };
    for (const image of images) {
      const one = await this.run(prompt, [image]);
      results.similarity.push(...one.similarity);
      results.imageEmbeds.push(...one.imageEmbeds);
    }
    return results;
  }

  private async run(prompt: string, images: readonly RgbImage[]): Promise<ClipScores> {
    const tokens = this.tokenizer.encode(prompt);
    const dims = [1, tokens.inputIds.length];
    const pixels = await clipPreprocessBatch(images);
    const feeds = {
      input_ids: intTensor(this.session.input("input_ids"), tokens.inputIds, dims),
      pixel_values: floatTensor(this.session.input("pixel_values"), pixels.data, pixels.dims),
      ...(this.session.hasInput("attention_mask")
        ? { attention_mask: intTensor(this.session.input("attention_mask"), tokens.attentionMask, dims) }
        : {}),
    };
    let out;
    try {
      out = await this.session.run(feeds);
    } catch (error) {
      throw new RenderError(
        "InferenceFailed",
        `${this.name} failed: ${(error as Error).message.split("\n")[0]}`,
      );
    }
    const text = normalise(readFloats(out.text_embeds, `${this.name} text_embeds`));
    const imageTensor = out.image_embeds;
    const all = readFloats(imageTensor, `${this.name} image_embeds`);
    const dim = text.length;
    const imageEmbeds = images.map((_, i) => all.slice(i * dim, (i + 1) * dim));
    const similarity = imageEmbeds.map((embed) => {
      const unit = normalise(embed);
      let cos = 0;
      for (let k = 0; k < dim; k++) cos += unit[k]! * text[k]!;
      return Math.min(1, Math.max(0, cos));
    });
    return { similarity, imageEmbeds };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function normalise(v: Float32Array): Float64Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Float64Array.from(v, (x) => x / norm);
}

/** The preprocessing here is CLIPImageProcessor's ViT defaults; a model expecting other settings would score garbage. */
async function checkPreprocessor(name: string, path: string): Promise<void> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const crop = config.crop_size as { height?: number } | number | undefined;
  const cropSize = typeof crop === "number" ? crop : crop?.height;
  const same = (a: unknown, b: readonly number[]) =>
    !Array.isArray(a) || a.every((x, i) => Math.abs(Number(x) - b[i]!) < 1e-6);
  if (
    (cropSize !== undefined && cropSize !== CLIP_SIZE) ||
    !same(config.image_mean, CLIP_MEAN) ||
    !same(config.image_std, CLIP_STD)
  ) {
    throw new RenderError(
      "UnsupportedModel",
      `${name}: preprocessor_config.json asks for crop ${cropSize} and mean/std other than CLIP's ViT defaults, which this worker does not implement`,
    );
  }
}
