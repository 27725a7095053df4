// Worker pipeline figures: model load, a warm 512×512 render and how much of it is ONNX run() time
// (the pipeline overhead), and batched vs one-by-one curation.
// Run: npx tsx bench/worker-pipeline.ts [--repeats 7] [--size 512] (--size 256 is the model's default)
import { ARTWORK_DEFAULTS } from "../crds/artwork.ts";
import { ensureBuiltinModel } from "../models/builtin.ts";
import { InferenceHost } from "../worker/inference/inference-host.ts";
import { scoreCandidates } from "../worker/curation/batch-curation.ts";
import { SessionFactory } from "../worker/onnx/session-factory.ts";
import { generatorDefaults } from "../worker/pipeline/generator-defaults.ts";
import { ModelRegistry } from "../worker/pipeline/model-registry.ts";
import type { ModelSpec, RenderRequest } from "../worker/pipeline/render-request.ts";
import { RunMeter } from "../worker/onnx/run-meter.ts";
import { machineFacts, numberFlag, printTable, since, type Figure } from "./report.ts";

const REPEATS = numberFlag("repeats", 7);
const VARIATIONS = 4;
const CURATION_CANDIDATES = 8;

const specs: ModelSpec[] = [
  { name: "aria-painter", role: "generator", dir: await ensureBuiltinModel("aria-painter") },
  { name: "aria-clip", role: "clip", dir: await ensureBuiltinModel("aria-clip") },
  { name: "aria-aesthetic", role: "aesthetic", dir: await ensureBuiltinModel("aria-aesthetic") },
];
const defaults = await generatorDefaults(specs[0]!.name, specs[0]!.dir);
// The overhead target is stated for 512×512; steps, guidance and scheduler are the model's defaults.
const WIDTH = numberFlag("size", 512);
const HEIGHT = WIDTH;

machineFacts({
  Artwork:
    `aria-painter ${WIDTH}×${HEIGHT}, ${defaults.steps} steps ${defaults.scheduler}, guidance ` +
    `${defaults.guidanceScale}, ${VARIATIONS} variations, png; ${REPEATS} repeats`,
});

const rows: Figure[] = [];
const ms = (figure: string, samples: number[]): Figure => ({ figure, samples, unit: "ms" });

async function repeat(fn: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS; i++) samples.push(await fn());
  return samples;
}

// Model load: sessions for all three models in one thread (what a pod pays before warm-up), then the
// whole InferenceHost start (thread start, load and warm-up of every model).
rows.push(
  ms(
    "load 3 models (in process, no warm-up)",
    await repeat(async () => {
      const registry = new ModelRegistry(new SessionFactory("cpu"), new RunMeter());
      const start = performance.now();
      await registry.loadAll(specs, 0, () => {}).catch(() => {});
      const elapsed = since(start);
      await registry.releaseAll();
      return elapsed;
    }),
  ),
);
rows.push(
  ms(
    "InferenceHost.start (thread + load + warm-up)",
    await repeat(async () => {
      const start = performance.now();
      const h = await InferenceHost.start({ models: specs, accelerator: "cpu" });
      const elapsed = since(start);
      await h.close();
      return elapsed;
    }),
  ),
);

// Warm generation through the host, as the worker runs it: the built-in model, then the same
// pipeline around the ≈1 GB variant, whose UNet does more work per step for the same pixels.
const request: RenderRequest = {
  prompt: "a red sunset over a calm sea, warm and glowing",
  model: "aria-painter",
  seed: 1234,
  steps: defaults.steps,
  guidanceScale: defaults.guidanceScale,
  scheduler: defaults.scheduler,
  width: WIDTH,
  height: HEIGHT,
  variations: VARIATIONS,
  curation: { weights: ARTWORK_DEFAULTS.weights },
  output: { formats: ["png"], upscale: 1 },
};
await warmRenders(specs, "", REPEATS);
const xlSpecs: ModelSpec[] = [
  { ...specs[0]!, dir: await ensureBuiltinModel("aria-painter", { scale: "1gb" }) },
  ...specs.slice(1),
];
await warmRenders(xlSpecs, "aria-painter-xl (≈1 GB): ", Math.min(REPEATS, 3));

async function warmRenders(models: ModelSpec[], label: string, repeats: number) {
  const host = await InferenceHost.start({ models, accelerator: "cpu" });
  await host.render(request, () => {});
  const wall: number[] = [];
  const generate: number[] = [];
  const curate: number[] = [];
  const encode: number[] = [];
  const onnx: number[] = [];
  const overhead: number[] = [];
  const perSession = new Map<string, number[]>();
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const result = await host.render(request, () => {});
    const elapsed = since(start);
    wall.push(elapsed);
    generate.push(result.timings.generateSeconds * 1000);
    curate.push(result.timings.curateSeconds * 1000);
    encode.push(result.timings.encodeSeconds * 1000);
    onnx.push(result.onnx.runSeconds * 1000);
    overhead.push(elapsed / (result.onnx.runSeconds * 1000));
    for (const [session, { runs, seconds }] of Object.entries(result.onnx.perSession)) {
      const key = `  ONNX ${session} (${runs} run${runs === 1 ? "" : "s"})`;
      perSession.set(key, [...(perSession.get(key) ?? []), seconds * 1000]);
    }
  }
  await host.close();
  rows.push(ms(`${label}warm render, ${VARIATIONS} variations (wall, host)`, wall));
  rows.push(ms("  generate (in thread)", generate));
  rows.push(ms("  curate (in thread)", curate));
  rows.push(ms("  encode PNGs, not overlapped (in thread)", encode));
  rows.push(ms("  ONNX run() total", onnx));
  for (const [session, samples] of perSession) rows.push(ms(session, samples));
  rows.push({
    figure: `${label}pipeline overhead = wall / ONNX run()`,
    samples: overhead,
    unit: "×",
    digits: 2,
    target: { op: "≤", value: 1.1 },
  });
}

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
    ...(await generator.generate({
      cond,
      uncond,
      seeds: [request.seed + i],
      steps: request.steps,
      guidanceScale: request.guidanceScale,
      scheduler: request.scheduler,
      width: request.width,
      height: request.height,
      previewEvery: 0,
      onStep: () => {},
    })),
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
rows.push(ms(`curation of ${CURATION_CANDIDATES} candidates, batched (2 runs)`, batchedTimes));
rows.push(ms(`curation of ${CURATION_CANDIDATES} candidates, one-by-one (16 runs)`, singleTimes));
rows.push({
  figure: "one-by-one / batched",
  samples: singleTimes.map((s, i) => s / batchedTimes[i]!),
  unit: "×",
  digits: 2,
});
rows.push({
  figure: "max |batched − one-by-one| score",
  samples: [maxDiff],
  unit: "",
  digits: 7,
  target: { op: "≤", value: 1e-5 },
});

printTable("Worker pipeline (times in ms)", rows);
console.log(
  "Batched curation on this CPU: CLIP and the aesthetic MLP are tiny, so a run costs little more than\n" +
    "its fixed overhead (feeds, the native call, outputs) and both modes are dominated by work that\n" +
    "batching does not change: resizing each candidate to 224×224 and the technical metrics, done per\n" +
    "image either way. Batching saves the 14 extra runs' overhead only; the 3× the seed claims comes\n" +
    "from a GPU, where each run also pays a launch and synchronisation that batching amortises.",
);
console.log(
  "\nPipeline overhead: what Aria does besides ONNX run() is per pixel and per step, not per FLOP:\n" +
    "turning each decoded 512×512 image into RGB bytes, the technical metrics and CLIP resize of every\n" +
    "candidate, PNG encoding (on libuv threads, competing with ONNX for this machine's 2 cores) and\n" +
    "the sampler's arithmetic on the latents. The built-in UNet is so small (about 2 ms a run) that\n" +
    "this fixed cost is a large share of its render; around a UNet that does more work per step (the\n" +
    "≈1 GB variant above, or any real Stable Diffusion export) the same cost shrinks toward nothing.",
);
