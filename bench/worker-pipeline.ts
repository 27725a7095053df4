// Worker pipeline figures for the issue note: model load, warm generation, batched vs one-by-one
// curation, and how much of a render is ONNX run() time. Run: npx tsx bench/worker-pipeline.ts
import { readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ensureBuiltinModel } from "../models/builtin.ts";
import { InferenceHost } from "../worker/inference/inference-host.ts";
import { scoreCandidates } from "../worker/pipeline/batch-curation.ts";
import { SessionFactory } from "../worker/pipeline/execution-provider.ts";
import { ModelRegistry } from "../worker/pipeline/model-registry.ts";
import type { ModelSpec, RenderRequest } from "../worker/pipeline/render-request.ts";
import { RunMeter } from "../worker/pipeline/run-meter.ts";

const REPEATS = 7;
const VARIATIONS = 4;
const CURATION_CANDIDATES = 8;

const specs: ModelSpec[] = [
  { name: "aria-painter", role: "generator", dir: await ensureBuiltinModel("aria-painter") },
  { name: "aria-clip", role: "clip", dir: await ensureBuiltinModel("aria-clip") },
  { name: "aria-aesthetic", role: "aesthetic", dir: await ensureBuiltinModel("aria-aesthetic") },
];
const index = JSON.parse(await readFile(join(specs[0]!.dir, "model_index.json"), "utf8")) as {
  aria: { width: number; height: number; steps: number; guidanceScale: number; scheduler: string };
};
const defaults = index.aria;
const ortVersion = (
  JSON.parse(
    await readFile(new URL("../node_modules/onnxruntime-node/package.json", import.meta.url), "utf8"),
  ) as {
    version: string;
  }
).version;

console.log(
  `CPU:          ${cpus()[0]?.model ?? "unknown"} × ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
);
console.log(`Node:         ${process.version} (${process.platform}/${process.arch})`);
console.log(`onnxruntime:  onnxruntime-node ${ortVersion}, CPU execution provider`);
console.log(
  `Artwork:      aria-painter ${defaults.width}×${defaults.height}, ${defaults.steps} steps ${defaults.scheduler}, ` +
    `guidance ${defaults.guidanceScale}, ${VARIATIONS} variations, png; ${REPEATS} repeats, times in ms`,
);
console.log("");

type Row = [label: string, samples: number[], unit?: "ms" | "×"];
const rows: Row[] = [];

async function repeat(fn: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) samples.push(await fn());
  return samples;
}

function since(start: number): number {
  return performance.now() - start;
}

// Model load: sessions for all three models in one thread (what a pod pays before warm-up), then the
// whole InferenceHost start (thread start, load and warm-up of every model).
rows.push([
  "load 3 models (in process, no warm-up)",
  await repeat(async () => {
    const registry = new ModelRegistry(new SessionFactory("cpu"), new RunMeter());
    const start = performance.now();
    await registry.loadAll(specs, 0, () => {}).catch(() => {});
    const elapsed = since(start);
    await registry.releaseAll();
    return elapsed;
  }),
]);
rows.push([
  "InferenceHost.start (thread + load + warm-up)",
  await repeat(async () => {
    const start = performance.now();
    const h = await InferenceHost.start({ models: specs, accelerator: "cpu" });
    const elapsed = since(start);
    await h.close();
    return elapsed;
  }),
]);

// Warm generation through the host, as the worker runs it.
const host = await InferenceHost.start({ models: specs, accelerator: "cpu" });
const request: RenderRequest = {
  prompt: "a red sunset over a calm sea, warm and glowing",
  model: "aria-painter",
  seed: 1234,
  steps: defaults.steps,
  guidanceScale: defaults.guidanceScale,
  scheduler: defaults.scheduler,
  width: defaults.width,
  height: defaults.height,
  variations: VARIATIONS,
  output: { formats: ["png"], upscale: 1 },
};
await host.render(request, () => {});
const wall: number[] = [];
const generate: number[] = [];
const curate: number[] = [];
const encode: number[] = [];
const onnx: number[] = [];
const overhead: number[] = [];
const perSession = new Map<string, number[]>();
for (let i = 0; i < REPEATS; i++) {
  const start = performance.now();
  const result = await host.render(request, () => {});
  const elapsed = since(start);
  wall.push(elapsed);
  generate.push(result.timings.generateSeconds * 1000);
  curate.push(result.timings.curateSeconds * 1000);
  encode.push(result.timings.encodeSeconds * 1000);
  onnx.push(result.onnx.runSeconds * 1000);
  overhead.push(elapsed / (result.onnx.runSeconds * 1000));
  for (const [label, { runs, seconds }] of Object.entries(result.onnx.perSession)) {
    const key = `  ONNX ${label} (${runs} run${runs === 1 ? "" : "s"})`;
    perSession.set(key, [...(perSession.get(key) ?? []), seconds * 1000]);
  }
}
await host.close();
rows.push([`warm render, ${VARIATIONS} variations (wall, host)`, wall]);
rows.push(["  generate (in thread)", generate]);
rows.push(["  curate (in thread)", curate]);
rows.push(["  encode PNGs (in thread)", encode]);
rows.push(["  ONNX run() total", onnx]);
for (const [label, samples] of perSession) rows.push([label, samples]);
rows.push(["pipeline overhead = wall / ONNX run()", overhead, "×"]);

// Curation of 8 candidates: one run per model vs one run per candidate, on the same images.
const meter = new RunMeter();
const registry = new ModelRegistry(new SessionFactory("cpu"), meter);
await registry.loadAll(specs, 1, () => {});
const generator = registry.generator("aria-painter");
const cond = await generator.encodePrompt(request.prompt);
const uncond = await generator.encodePrompt("");
const images = [];
for (let i = 0; i < CURATION_CANDIDATES; i++) {
  images.push(
    await generator.generate({
      cond,
      uncond,
      seed: request.seed + i,
      steps: request.steps,
      guidanceScale: request.guidanceScale,
      scheduler: request.scheduler,
      width: request.width,
      height: request.height,
      previewEvery: 0,
      onStep: () => {},
    }),
  );
}
const clip = registry.clip(undefined);
const aesthetic = registry.aesthetic(undefined);
const batchedTimes: number[] = [];
const singleTimes: number[] = [];
let maxDiff = 0;
for (let i = 0; i < REPEATS; i++) {
  let start = performance.now();
  const batched = await scoreCandidates(request.prompt, images, clip, aesthetic, "batched");
  batchedTimes.push(since(start));
  start = performance.now();
  const single = await scoreCandidates(request.prompt, images, clip, aesthetic, "one-by-one");
  singleTimes.push(since(start));
  for (let c = 0; c < images.length; c++) {
    for (const key of ["clip", "aesthetic", "technical"] as const) {
      maxDiff = Math.max(maxDiff, Math.abs(batched[c]![key] - single[c]![key]));
    }
  }
}
await registry.releaseAll();
rows.push([`curation of ${CURATION_CANDIDATES} candidates, batched (2 runs)`, batchedTimes]);
rows.push([`curation of ${CURATION_CANDIDATES} candidates, one-by-one (16 runs)`, singleTimes]);
rows.push(["one-by-one / batched", singleTimes.map((s, i) => s / batchedTimes[i]!), "×"]);

const width = Math.max(...rows.map(([label]) => label.length));
const fmt = (v: number, unit: "ms" | "×") => (unit === "ms" ? v.toFixed(1) : v.toFixed(2)).padStart(9);
console.log(`${"".padEnd(width)}    median       min       max`);
for (const [label, samples, unit = "ms"] of rows) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `${label.padEnd(width)} ${fmt(median, unit)} ${fmt(sorted[0]!, unit)} ${fmt(sorted.at(-1)!, unit)}`,
  );
}
console.log("");
console.log(
  `max |batched − one-by-one| score difference over ${REPEATS} × ${CURATION_CANDIDATES} candidates: ${maxDiff.toExponential(2)}`,
);
