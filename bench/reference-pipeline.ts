// Aria's generator against the Python reference: diffusers' OnnxStableDiffusionPipeline on the same
// ONNX files (the built-in aria-painter), from the same initial latents, with the model's Euler
// scheduler config and the same steps and guidance. The reference venv is created from PyPI on first
// use (test/reference/requirements.txt, cached outside git). Run: npx tsx bench/reference-pipeline.ts [--repeats 5]
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuiltinModel } from "../models/builtin.ts";
import { SessionFactory } from "../worker/onnx/session-factory.ts";
import { ModelRegistry } from "../worker/pipeline/model-registry.ts";
import { RunMeter } from "../worker/onnx/run-meter.ts";
import { createRng } from "../worker/random/rng.ts";
import { runPython } from "../test/reference/python-venv.ts";
import { referenceVenvOrExit } from "./reference-venv.ts";
import { machineFacts, median, numberFlag, printTable } from "./report.ts";

const REPEATS = numberFlag("repeats", 5);
const PROMPT = "a red sunset over a calm sea, warm and glowing";
const SEED = 1234;

const dir = await ensureBuiltinModel("aria-painter");
const defaults = (
  JSON.parse(await readFile(join(dir, "model_index.json"), "utf8")) as {
    aria: { width: number; height: number; steps: number; guidanceScale: number };
  }
).aria;
const { width, height, steps, guidanceScale } = defaults;

machineFacts({
  Render: `aria-painter ${width}×${height}, ${steps} steps Euler, guidance ${guidanceScale}, seed ${SEED}; ${REPEATS} timed runs each after one warm-up`,
});

const venv = await referenceVenvOrExit();

// Aria: the generator as the worker runs it (one thread's registry), timing each denoising step.
const registry = new ModelRegistry(new SessionFactory("cpu"), new RunMeter());
await registry.loadAll([{ name: "aria-painter", role: "generator", dir }], 1, () => {});
const generator = registry.generator("aria-painter");
const ariaPerStep: number[] = [];
let ariaImage: Uint8Array | undefined;
for (let r = 0; r <= REPEATS; r++) {
  const stamps: number[] = [];
  const cond = await generator.encodePrompt(PROMPT);
  const uncond = await generator.encodePrompt("");
  const [image] = await generator.generate({
    cond,
    uncond,
    seeds: [SEED],
    steps,
    guidanceScale,
    scheduler: "euler",
    width,
    height,
    previewEvery: 0,
    onStep: () => void stamps.push(performance.now()),
  });
  // Steps 2 … n−1, as on the Python side: the last step's callback comes after the VAE decode.
  if (r > 0) ariaPerStep.push((stamps.at(-2)! - stamps[0]!) / (stamps.length - 2));
  ariaImage = image!.data;
}
await registry.releaseAll();

// The reference, from the very latents Aria drew for this seed (unscaled N(0, 1), as diffusers takes them).
const work = await mkdtemp(join(tmpdir(), "aria-reference-"));
const latents = createRng(SEED).randn(4 * (height / 8) * (width / 8));
await writeFile(join(work, "latents.bin"), latents);
const stdout = await runPython(venv, [
  fileURLToPath(new URL("reference_pipeline.py", import.meta.url)),
  ...["--model", dir, "--latents", join(work, "latents.bin"), "--image", join(work, "image.bin")],
  ...["--prompt", PROMPT, "--steps", String(steps), "--guidance", String(guidanceScale)],
  ...["--width", String(width), "--height", String(height), "--repeats", String(REPEATS)],
]);
const reference = JSON.parse(stdout.trim().split("\n").at(-1)!) as { perStepMs: number[] };
const referenceImage = await readFile(join(work, "image.bin"));
await rm(work, { recursive: true, force: true });

let sum = 0;
let max = 0;
for (let i = 0; i < referenceImage.length; i++) {
  const d = Math.abs(referenceImage[i]! - ariaImage![i]!);
  sum += d;
  max = Math.max(max, d);
}
const refMedian = median(reference.perStepMs);
printTable("Aria vs diffusers' OnnxStableDiffusionPipeline (same ONNX files, same ORT settings)", [
  { figure: "Aria, time per denoising step", samples: ariaPerStep, unit: "ms", digits: 2 },
  { figure: "reference, time per denoising step", samples: reference.perStepMs, unit: "ms", digits: 2 },
  {
    figure: "per-step ratio Aria / reference",
    samples: ariaPerStep.map((a) => a / refMedian),
    unit: "×",
    digits: 2,
    target: { op: "≤", value: 1 },
  },
  {
    figure: "final image, mean |Aria − reference| (0–255)",
    samples: [sum / referenceImage.length],
    unit: "",
    digits: 3,
    target: { op: "≤", value: 1 },
  },
  { figure: "final image, max |Aria − reference| (0–255)", samples: [max], unit: "", digits: 0 },
]);
