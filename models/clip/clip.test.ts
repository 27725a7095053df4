import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClipTokenizer } from "../../lib/tokenizer/clip-tokenizer.ts";
import { ensureBuiltinModel } from "../builtin.ts";
import { pixelValues, shadesOf } from "./clip-test-images.ts";
import { EMBED_DIM } from "./concept-space.ts";

const RED = shadesOf([0.9, 0.15, 0.1]);
const BLUE = shadesOf([0.1, 0.3, 0.9]);
const GREY = (): number[] => [0.5, 0.5, 0.5];

describe("aria-clip", () => {
  let cache: string;
  let dir: string;
  let session: ort.InferenceSession;
  let tokenizer: ClipTokenizer;

  const textFeeds = (prompts: string[]): Record<string, ort.Tensor> => {
    const encoded = prompts.map((p) => tokenizer.encode(p));
    const ids = BigInt64Array.from(encoded.flatMap((e) => e.inputIds.map(BigInt)));
    const mask = BigInt64Array.from(encoded.flatMap((e) => e.attentionMask.map(BigInt)));
    return {
      input_ids: new ort.Tensor("int64", ids, [prompts.length, 77]),
      attention_mask: new ort.Tensor("int64", mask, [prompts.length, 77]),
    };
  };
  const logits = async (images: ort.Tensor, prompts: string[]): Promise<number[][]> => {
    const out = await session.run({ ...textFeeds(prompts), pixel_values: images });
    const data = Array.from(out.logits_per_image!.data as Float32Array);
    return Array.from({ length: images.dims[0]! }, (_, i) =>
      data.slice(i * prompts.length, (i + 1) * prompts.length),
    );
  };

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), "aria-clip-"));
    process.env.ARIA_MODEL_CACHE = cache;
    dir = await ensureBuiltinModel("aria-clip");
    session = await ort.InferenceSession.create(join(dir, "model.onnx"), { executionProviders: ["cpu"] });
    tokenizer = await ClipTokenizer.fromDir(join(dir, "tokenizer"));
  });
  afterAll(async () => {
    delete process.env.ARIA_MODEL_CACHE;
    await rm(cache, { recursive: true, force: true });
  });

  it("ships CLIP's preprocessing constants", async () => {
    const config = JSON.parse(await readFile(join(dir, "preprocessor_config.json"), "utf8"));
    expect(config.image_mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(config.image_std).toEqual([0.26862954, 0.26130258, 0.27577711]);
    expect(config.crop_size).toEqual({ height: 224, width: 224 });
  });

  it("scores a red image higher for a red prompt, and a blue one for a blue prompt", async () => {
    const [red, blue] = await logits(pixelValues([RED, BLUE]), ["a red painting", "a blue painting"]);
    expect(red![0]).toBeGreaterThan(red![1]! + 10);
    expect(blue![1]).toBeGreaterThan(blue![0]! + 10);
  });

  it("matches moods to looks", async () => {
    const sunset = (x: number, y: number): number[] =>
      y < 0.6 ? [1, 0.55 - 0.3 * y + 0.3 * Math.exp(-((x - 0.5) ** 2) * 20), 0.2] : [0.35, 0.1, 0.08];
    const [scores] = await logits(pixelValues([sunset]), ["a warm fiery sunset", "a cold serene ocean"]);
    expect(scores![0]).toBeGreaterThan(scores![1]!);
    const [dark] = await logits(pixelValues([shadesOf([0.1, 0.1, 0.2])]), [
      "a dark night",
      "a bright sunny day",
    ]);
    expect(dark![0]).toBeGreaterThan(dark![1]!);
  });

  it("works with one side a dummy and returns L2-normalised embeddings", async () => {
    const out = await session.run({
      ...textFeeds(["a red painting"]),
      pixel_values: pixelValues([GREY, RED, BLUE]),
    });
    expect(out.image_embeds!.dims).toEqual([3, EMBED_DIM]);
    expect(out.text_embeds!.dims).toEqual([1, EMBED_DIM]);
    expect(out.logits_per_image!.dims).toEqual([3, 1]);
    const embeds = out.image_embeds!.data as Float32Array;
    for (let i = 0; i < 3; i++) {
      const norm = Math.hypot(...embeds.subarray(i * EMBED_DIM, (i + 1) * EMBED_DIM));
      expect(norm).toBeCloseTo(1, 5);
    }
  });
});
