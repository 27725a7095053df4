import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../builtin.ts";
import { pixelValues, shadesOf } from "../clip/clip-test-images.ts";
import { EMBED_DIM } from "../clip/concept-space.ts";

describe("aria-aesthetic", () => {
  let cache: string;
  let clip: ort.InferenceSession;
  let aesthetic: ort.InferenceSession;
  let dir: string;

  /** Scores images through aria-clip's image tower, with a dummy one-token text side. */
  const scores = async (images: Array<(x: number, y: number) => readonly number[]>): Promise<number[]> => {
    const dummy = new ort.Tensor("int64", new BigInt64Array(77), [1, 77]);
    const { image_embeds } = await clip.run({
      input_ids: dummy,
      attention_mask: dummy,
      pixel_values: pixelValues(images),
    });
    const out = await aesthetic.run({ input: image_embeds! });
    expect(out.score!.dims).toEqual([images.length, 1]);
    return Array.from(out.score!.data as Float32Array);
  };

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), "aria-aesthetic-"));
    process.env.ARIA_MODEL_CACHE = cache;
    const clipDir = await ensureBuiltinModel("aria-clip");
    dir = await ensureBuiltinModel("aria-aesthetic");
    clip = await ort.InferenceSession.create(join(clipDir, "model.onnx"), { executionProviders: ["cpu"] });
    aesthetic = await ort.InferenceSession.create(join(dir, "model.onnx"), { executionProviders: ["cpu"] });
  });
  afterAll(async () => {
    delete process.env.ARIA_MODEL_CACHE;
    await rm(cache, { recursive: true, force: true });
  });

  it("names the embedding model it expects", async () => {
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({ embedding_model: "aria-clip", embedding_dim: EMBED_DIM });
  });

  it("prefers colourful, contrasted, well-exposed images to flat grey, black or washed-out ones", async () => {
    const rainbow = (x: number, y: number): number[] =>
      [0, 2, 4].map((phase) => 0.5 + 0.45 * Math.sin(6 * x + phase) * (0.6 + 0.4 * Math.cos(5 * y)));
    const [colourful, red, grey, black, washed] = await scores([
      rainbow,
      shadesOf([0.9, 0.15, 0.1]),
      () => [0.5, 0.5, 0.5],
      () => [0.02, 0.02, 0.02],
      () => [0.96, 0.95, 0.97],
    ]);
    for (const score of [colourful, red, grey, black, washed]) {
      expect(score).toBeGreaterThanOrEqual(1);
      expect(score).toBeLessThanOrEqual(10);
    }
    expect(colourful).toBeGreaterThan(grey! + 2);
    expect(red).toBeGreaterThan(grey!);
    expect(grey).toBeGreaterThan(black!);
    expect(grey).toBeGreaterThan(washed!);
  });
});
