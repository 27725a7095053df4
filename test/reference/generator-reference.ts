// Aria's generator side by side with the Python reference (Optimum's ORT pipelines) on genuine
// exports of each Stable Diffusion family: shared by the conformance matrix and the benchmark.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RgbImage } from "../../worker/curation/rgb-image.ts";
import type { GeneratorModel } from "../../worker/pipeline/generator-model.ts";
import { createRng } from "../../worker/random/rng.ts";
import type { LongPrompt, SchedulerName } from "../../crds/artwork.ts";
import { runPython, type ReferenceVenv } from "./python-venv.ts";
import { ensureReferenceExport } from "./reference-export.ts";
import { writeSdTokenizer } from "./sd-tokenizers.ts";

/** The families export_diffusion.py builds. */
export type Family = "sd15" | "sd2-v" | "sd-turbo" | "sdxl" | "sdxl-refiner" | "sdxl-turbo" | "lcm";

export interface Variant {
  family: Family;
  /** Exported, then converted to float16 throughout. */
  fp16?: boolean;
  /** UNet sample_size: the default image is 8× this. */
  size?: number;
}

export function variantName(v: Variant): string {
  return `${v.family}${v.fp16 ? "-fp16" : ""}${v.size ? `-${v.size * 8}px` : ""}`;
}

/** A genuine Optimum export of the variant (cached in the venv); returns its ONNX folder. */
export async function ensureGeneratorExport(venv: ReferenceVenv, v: Variant): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), "aria-export-"));
  try {
    await writeSdTokenizer(join(work, "tokenizer"), "sd15");
    await writeSdTokenizer(join(work, "tokenizer-2"), "sd2");
    const out = await ensureReferenceExport(
      venv,
      variantName(v),
      new URL("./export_diffusion.py", import.meta.url),
      [
        ...[
          "--family",
          v.family,
          "--tokenizer",
          join(work, "tokenizer"),
          "--tokenizer-2",
          join(work, "tokenizer-2"),
        ],
        ...(v.fp16 ? ["--fp16"] : []),
        ...(v.size ? ["--size", String(v.size)] : []),
      ],
    );
    return join(out, "onnx");
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface RenderCase {
  prompt: string;
  negativePrompt?: string;
  scheduler: SchedulerName;
  steps: number;
  guidanceScale: number;
  width: number;
  height: number;
  seed: number;
  longPrompt?: LongPrompt;
  /** With the refiner: the share of the schedule the base denoises before the refiner takes over. */
  switchAt?: number;
}

export interface AriaRender {
  image: RgbImage;
  /** Milliseconds per denoising step, steps 2 … n (one step's time when there is only one). */
  perStepMs: number;
}

/**
 * One candidate as the worker renders it (the same prompt handling and guidance as renderArtwork),
 * finished by `refiner` from c.switchAt when one is given.
 */
export async function ariaRender(
  generator: GeneratorModel,
  c: RenderCase,
  seeds = [c.seed],
  refiner?: GeneratorModel,
): Promise<AriaRender[]> {
  const mode = c.longPrompt ?? "Truncate";
  const started = performance.now();
  const encode = async (model: GeneratorModel) => {
    const cond = await model.encodePrompt(c.prompt, mode);
    const uncond = model.guided(c.guidanceScale)
      ? await model.negativeEmbedding(cond, c.negativePrompt, mode)
      : cond;
    return { cond, uncond };
  };
  const { cond, uncond } = await encode(generator);
  const refinerStage =
    refiner && c.switchAt !== undefined
      ? { model: refiner, switchAt: c.switchAt, ...(await encode(refiner)) }
      : undefined;
  const stamps: number[] = [];
  const images = await generator.generate({
    cond,
    uncond,
    seeds,
    steps: c.steps,
    guidanceScale: c.guidanceScale,
    scheduler: c.scheduler,
    width: c.width,
    height: c.height,
    previewEvery: 0,
    ...(refinerStage ? { refiner: refinerStage } : {}),
    onStep: () => void stamps.push(performance.now()),
  });
  // The last callback follows the VAE decode, so steps are timed from the first to the last but one.
  const perStepMs =
    stamps.length > 2 ? (stamps.at(-2)! - stamps[0]!) / (stamps.length - 2) : stamps[0]! - started;
  return images.map((image) => ({ image, perStepMs }));
}

export interface ReferenceResult {
  image: Uint8Array;
  perStepMs: number[];
  /** Normal draws the reference's sampler took from Aria's stream. */
  noiseUsed: number;
}

/**
 * Runs the reference on `cases` from the latents and noise Aria draws for each seed: the first
 * `latentSize` normals are the initial latents, the rest the sampler's per-step noise, in order.
 * Cases with a switchAt are finished by the `refiner` export (the SDXL image-to-image pipeline).
 */
export async function runReference(
  venv: ReferenceVenv,
  model: string,
  cases: RenderCase[],
  latentSize: (c: RenderCase) => number,
  repeats = 0,
  refiner?: string,
): Promise<{ pipeline: string; results: ReferenceResult[] }> {
  const work = await mkdtemp(join(tmpdir(), "aria-reference-"));
  try {
    const jobs = await Promise.all(
      cases.map(async (c, i) => {
        const size = latentSize(c);
        const stream = createRng(c.seed).randn(size * (c.steps + 1));
        const latents = join(work, `latents-${i}.bin`);
        const noise = join(work, `noise-${i}.bin`);
        await writeFile(latents, stream.subarray(0, size));
        await writeFile(noise, stream.subarray(size));
        return { ...c, latents, noise, image: join(work, `image-${i}.bin`) };
      }),
    );
    await writeFile(
      join(work, "job.json"),
      JSON.stringify({ model, repeats, cases: jobs, ...(refiner ? { refiner } : {}) }),
    );
    const stdout = await runPython(venv, [
      fileURLToPath(new URL("./diffusion_reference.py", import.meta.url)),
      ...["--input", join(work, "job.json")],
    ]);
    const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      pipeline: string;
      cases: Array<{ perStepMs: number[]; noiseUsed: number }>;
    };
    const results = await Promise.all(
      out.cases.map(async (r, i) => ({ ...r, image: new Uint8Array(await readFile(jobs[i]!.image)) })),
    );
    return { pipeline: out.pipeline, results };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface ImageDifference {
  /** Per RGB channel, in 0–255 levels. */
  mean: [number, number, number];
  max: [number, number, number];
}

export function difference(a: Uint8Array, b: Uint8Array): ImageDifference {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} vs ${b.length} bytes`);
  const sum = [0, 0, 0];
  const max = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum[i % 3]! += d;
    if (d > max[i % 3]!) max[i % 3] = d;
  }
  const pixels = a.length / 3;
  return { mean: sum.map((s) => s / pixels) as ImageDifference["mean"], max: max as ImageDifference["max"] };
}
