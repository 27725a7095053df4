import { access } from "node:fs/promises";
import { join } from "node:path";
import { clipPreprocessBatch, type ClipImageSettings } from "./clip-preprocess.ts";
import { readClipImageSettings } from "./clip-preprocessor-config.ts";
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
  /** The prompt's embedding as the model returns it. */
  textEmbed: Float32Array;
}

/**
 * A CLIP export (HF CLIPModel → ONNX: input_ids, attention_mask, pixel_values → text_embeds,
 * image_embeds) in either layout: Optimum's, with the tokenizer files beside model.onnx, or with
 * them in `tokenizer/` (the built-in aria-clip). preprocessor_config.json sets the image preprocessing.
 */
export class ClipModel {
  private constructor(
    readonly name: string,
    private readonly tokenizer: ClipTokenizer,
    private readonly imageSettings: ClipImageSettings,
    private readonly session: ModelSession,
  ) {
    session.input("input_ids");
    session.input("pixel_values");
  }

  static async load(name: string, dir: string, factory: SessionFactory, meter: RunMeter): Promise<ClipModel> {
    const imageSettings = await readClipImageSettings(name, join(dir, "preprocessor_config.json"));
    const tokenizer = await ClipTokenizer.fromDir(await tokenizerDir(name, dir));
    const session = new ModelSession(await factory.open(join(dir, "model.onnx")), name, meter);
    return new ClipModel(name, tokenizer, imageSettings, session);
  }

  /** All images in one run ([N, 3, H, W] against the prompt's [1, 77]), or one run per image. */
  async score(
    prompt: string,
    images: readonly RgbImage[],
    mode: "batched" | "one-by-one",
  ): Promise<ClipScores> {
    if (mode === "batched") return this.run(prompt, images);
    const results: ClipScores = { similarity: [], imageEmbeds: [], textEmbed: new Float32Array() };
    for (const image of images) {
      const one = await this.run(prompt, [image]);
      results.similarity.push(...one.similarity);
      results.imageEmbeds.push(...one.imageEmbeds);
      results.textEmbed = one.textEmbed;
    }
    return results;
  }

  private async run(prompt: string, images: readonly RgbImage[]): Promise<ClipScores> {
    const tokens = this.tokenizer.encode(prompt);
    const dims = [1, tokens.inputIds.length];
    const pixels = await clipPreprocessBatch(images, this.imageSettings);
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
    const textEmbed = readFloats(out.text_embeds, `${this.name} text_embeds`);
    const text = normalise(textEmbed);
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
    return { similarity, imageEmbeds, textEmbed };
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

/** The folder holding the tokenizer files: the export itself (Optimum's layout) or its `tokenizer/`. */
async function tokenizerDir(name: string, dir: string): Promise<string> {
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  await access(dir); // a missing folder is reported as such, not as a missing tokenizer
  for (const candidate of [dir, join(dir, "tokenizer")]) {
    if ((await exists(join(candidate, "tokenizer.json"))) || (await exists(join(candidate, "vocab.json"))))
      return candidate;
  }
  throw new RenderError(
    "UnsupportedModel",
    `${name}: no CLIP tokenizer: neither tokenizer.json nor vocab.json and merges.txt are beside model.onnx (Optimum's layout) or in tokenizer/`,
  );
}
