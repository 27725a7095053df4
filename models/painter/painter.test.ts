import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClipTokenizer } from "../../lib/tokenizer/clip-tokenizer.ts";
import { ensureBuiltinModel } from "../builtin.ts";
import { alphasCumprod } from "../noise-schedule.ts";
import { seededGaussian } from "../onnx/random.ts";
import { TEXT_DIM } from "./text-features.ts";
import { buildUnet } from "./unet.ts";
import { VAE_SCALING_FACTOR } from "./vae-decoder.ts";
import { wideTensors, writeWideWeights } from "./wide-weights.ts";

const ALPHAS = alphasCumprod();
const CPU: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"], intraOpNumThreads: 2 };

interface Painter {
  tokenizer: ClipTokenizer;
  textEncoder: ort.InferenceSession;
  unet: ort.InferenceSession;
  vae: ort.InferenceSession;
}

interface Generation {
  /** Decoded RGB in [−1, 1], NCHW with N = 1. */
  image: Float32Array;
  /** Decoded latent after every step (the last equals `image`). */
  previews: Float32Array[];
}

/** A minimal diffusers-style Euler sampler ("linspace" timesteps) with classifier-free guidance. */
async function generate(
  painter: Painter,
  prompt: string,
  options: { seed: number; size?: number; steps?: number; guidance?: number; previews?: boolean },
): Promise<Generation> {
  const { seed, size = 128, steps = 20, guidance = 5 } = options;
  const ids = [...painter.tokenizer.encode(prompt).inputIds, ...painter.tokenizer.encode("").inputIds];
  const text = (
    await painter.textEncoder.run({ input_ids: new ort.Tensor("int32", Int32Array.from(ids), [2, 77]) })
  ).last_hidden_state!;
  const side = size / 8;
  const n = 4 * side * side;
  const timesteps = Array.from({ length: steps }, (_, i) => Math.round(999 - (999 * i) / (steps - 1)));
  const sigmas = [...timesteps.map((t) => Math.sqrt((1 - ALPHAS[t]!) / ALPHAS[t]!)), 0];
  const gaussian = seededGaussian(seed);
  let x = Float32Array.from({ length: n }, () => gaussian() * sigmas[0]!);
  const previews: Float32Array[] = [];
  for (let i = 0; i < steps; i++) {
    const sigma = sigmas[i]!;
    const input = new Float32Array(2 * n);
    for (let j = 0; j < n; j++) input[j] = input[n + j] = x[j]! / Math.sqrt(sigma * sigma + 1);
    const t = BigInt(timesteps[i]!);
    const eps = (
      await painter.unet.run({
        sample: new ort.Tensor("float32", input, [2, 4, side, side]),
        timestep: new ort.Tensor("int64", BigInt64Array.from([t, t]), [2]),
        encoder_hidden_states: text,
      })
    ).out_sample!.data as Float32Array;
    const next = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const guided = eps[n + j]! + guidance * (eps[j]! - eps[n + j]!);
      next[j] = x[j]! + (sigmas[i + 1]! - sigma) * guided;
    }
    x = next;
    if (options.previews || i === steps - 1) previews.push(await decode(painter, x, side));
  }
  return { image: previews[previews.length - 1]!, previews };
}

async function decode(painter: Painter, latent: Float32Array, side: number): Promise<Float32Array> {
  const scaled = latent.map((v) => v / VAE_SCALING_FACTOR);
  const out = await painter.vae.run({ latent_sample: new ort.Tensor("float32", scaled, [1, 4, side, side]) });
  return out.sample!.data as Float32Array;
}

/** Mean R, G, B in [0, 1]. */
function meanColour(image: Float32Array): [number, number, number] {
  const plane = image.length / 3;
  return [0, 1, 2].map((c) => {
    let sum = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) sum += image[i]!;
    return sum / plane / 2 + 0.5;
  }) as [number, number, number];
}

function rms(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum / a.length);
}

describe("aria-painter", () => {
  let cache: string;
  let dir: string;
  let painter: Painter;

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), "aria-painter-"));
    process.env.ARIA_MODEL_CACHE = cache;
    dir = await ensureBuiltinModel("aria-painter");
    painter = {
      tokenizer: await ClipTokenizer.fromDir(join(dir, "tokenizer")),
      textEncoder: await ort.InferenceSession.create(join(dir, "text_encoder/model.onnx"), CPU),
      unet: await ort.InferenceSession.create(join(dir, "unet/model.onnx"), CPU),
      vae: await ort.InferenceSession.create(join(dir, "vae_decoder/model.onnx"), CPU),
    };
  });
  afterAll(async () => {
    delete process.env.ARIA_MODEL_CACHE;
    await rm(cache, { recursive: true, force: true });
  });

  it("paints a red sunset red and a deep blue ocean blue", async () => {
    const [r1, g1, b1] = meanColour((await generate(painter, "a red sunset", { seed: 1 })).image);
    expect(r1).toBeGreaterThan(g1 + 0.2);
    expect(r1).toBeGreaterThan(b1 + 0.2);
    const [r2, g2, b2] = meanColour((await generate(painter, "a deep blue ocean", { seed: 1 })).image);
    expect(b2).toBeGreaterThan(r2 + 0.2);
    expect(b2).toBeGreaterThan(g2 + 0.1);
  });

  it("composes differently for different seeds", async () => {
    const a = await generate(painter, "a serene green forest", { seed: 1 });
    const b = await generate(painter, "a serene green forest", { seed: 2 });
    expect(rms(a.image, b.image)).toBeGreaterThan(0.1);
  });

  it("is not flat: images carry gradients and texture", async () => {
    const { image } = await generate(painter, "a mysterious purple night", { seed: 3 });
    const luma = image.subarray(0, image.length / 3);
    const mean = luma.reduce((s, v) => s + v, 0) / luma.length;
    const spread = Math.sqrt(luma.reduce((s, v) => s + (v - mean) ** 2, 0) / luma.length);
    expect(spread).toBeGreaterThan(0.1);
  });

  it("forms the picture step by step", async () => {
    const { previews, image } = await generate(painter, "a red sunset", { seed: 4, previews: true });
    const distances = previews.map((p) => rms(p, image));
    for (let i = 1; i < distances.length; i++) expect(distances[i]).toBeLessThan(distances[i - 1]!);
    expect(distances[0]).toBeGreaterThan(0.2);
  });

  it("is neutral grey without a prompt, and guidance strengthens the prompt", async () => {
    const [r, g, b] = meanColour((await generate(painter, "", { seed: 5 })).image);
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(0.05);
    const redness = (image: Float32Array): number => {
      const [red, green, blue] = meanColour(image);
      return red - (green + blue) / 2;
    };
    const weak = redness((await generate(painter, "a red painting", { seed: 5, guidance: 1 })).image);
    const strong = redness((await generate(painter, "a red painting", { seed: 5, guidance: 5 })).image);
    expect(weak).toBeGreaterThan(0.05);
    expect(strong).toBeGreaterThan(weak + 0.1);
  });

  it("generates 256×256 and 512×512 in 20 Euler steps quickly", async () => {
    for (const size of [256, 512]) {
      const started = performance.now();
      const { image } = await generate(painter, "a joyful yellow field", { seed: 6, size });
      expect(image.length).toBe(3 * size * size);
      expect(performance.now() - started).toBeLessThan(10_000);
    }
  });

  it("has a test variant taking a float scalar timestep that predicts the same noise", async () => {
    const variant = await ensureBuiltinModel("aria-painter", { timestep: "float-scalar" });
    const unet = await ort.InferenceSession.create(join(variant, "unet/model.onnx"), CPU);
    const meta = unet.inputMetadata.find((m) => m.name === "timestep");
    expect(meta?.isTensor && meta.type).toBe("float32");
    expect(meta?.isTensor && meta.shape).toEqual([]);
    const gaussian = seededGaussian(7);
    const sample = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 4 * 16 * 16 }, gaussian),
      [1, 4, 16, 16],
    );
    const text = new ort.Tensor("float32", new Float32Array(77 * TEXT_DIM), [1, 77, TEXT_DIM]);
    const scalar = await unet.run({
      sample,
      timestep: new ort.Tensor("float32", [500], []),
      encoder_hidden_states: text,
    });
    const int = await painter.unet.run({
      sample,
      timestep: new ort.Tensor("int64", BigInt64Array.from([500n]), [1]),
      encoder_hidden_states: text,
    });
    expect(rms(scalar.out_sample!.data as Float32Array, int.out_sample!.data as Float32Array)).toBeLessThan(
      1e-5,
    );
  });

  it("uses the wide layer of the scaled-up variant (built small here)", async () => {
    const hidden = 1024;
    const wideDir = await mkdtemp(join(tmpdir(), "aria-wide-"));
    try {
      await writeWideWeights(join(wideDir, "model.onnx_data"), hidden);
      const model = buildUnet({
        timestep: "int64",
        wide: { tensors: wideTensors(hidden), location: "model.onnx_data" },
      });
      await writeFile(join(wideDir, "model.onnx"), model);
      const wide = await ort.InferenceSession.create(join(wideDir, "model.onnx"), CPU);
      const ids = painter.tokenizer.encode("a red sunset").inputIds;
      const text = (
        await painter.textEncoder.run({ input_ids: new ort.Tensor("int32", Int32Array.from(ids), [1, 77]) })
      ).last_hidden_state!;
      const gaussian = seededGaussian(8);
      const feeds = {
        sample: new ort.Tensor(
          "float32",
          Float32Array.from({ length: 4 * 16 * 16 }, gaussian),
          [1, 4, 16, 16],
        ),
        timestep: new ort.Tensor("int64", BigInt64Array.from([300n]), [1]),
        encoder_hidden_states: text,
      };
      const withWide = (await wide.run(feeds)).out_sample!.data as Float32Array;
      const plain = (await painter.unet.run(feeds)).out_sample!.data as Float32Array;
      const difference = rms(withWide, plain);
      expect(difference).toBeGreaterThan(1e-5);
      expect(difference).toBeLessThan(0.05);
    } finally {
      await rm(wideDir, { recursive: true, force: true });
    }
  });
});
