// Each Stable Diffusion family as a worker runs it, on genuine Optimum exports (tiny random models
// from the family's configs, at the family's own image size and steps): Aria's time per denoising
// step against Optimum's ORT pipeline on the same files, images per minute with an Artwork's
// variations batched through the UNet against one at a time, and the worker's peak RSS against the
// size of the ONNX files it loaded. Each family runs in a process of its own, so its peak RSS is its
// own. Run: npx tsx bench/model-families.ts [--repeats 2] [--variations 4]
import { spawnSync } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SchedulerName } from "../crds/artwork.ts";
import { GeneratorModel } from "../worker/pipeline/generator-model.ts";
import { RunMeter } from "../worker/onnx/run-meter.ts";
import { SessionFactory } from "../worker/onnx/session-factory.ts";
import {
  ariaRender,
  ensureGeneratorExport,
  runReference,
  variantName,
  type RenderCase,
  type Variant,
} from "../test/reference/generator-reference.ts";
import { referenceVenvOrExit } from "./reference-venv.ts";
import { machineFacts, median, numberFlag, printTable, since, type Figure } from "./report.ts";

const REPEATS = numberFlag("repeats", 2);
const VARIATIONS = numberFlag("variations", 4);
// The pool's spec.batching.memoryBudget for the batched runs.
const BUDGET_GIB = numberFlag("budget-gib", 6);
const PROMPT = "a lighthouse on a cliff at dusk, oil painting";

interface Family {
  variant: Variant;
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
}

// Each family's trained size (sample_size × 8) and the steps and guidance its model card uses.
const FAMILIES: Family[] = [
  { variant: { family: "sd15", size: 64 }, steps: 25, guidanceScale: 7.5, scheduler: "euler" },
  // SD 2's 768² would hold 9216² attention scores per head: past this machine's 24 GiB unfused.
  { variant: { family: "sd2-v", size: 64 }, steps: 25, guidanceScale: 7.5, scheduler: "euler" },
  // Turbo models take 1–4 steps; 4, so that steps after the first can be timed (a step's time
  // then excludes the text encoder and the VAE decode on both sides).
  { variant: { family: "sd-turbo", size: 64 }, steps: 4, guidanceScale: 0, scheduler: "euler" },
  { variant: { family: "sdxl", size: 128 }, steps: 25, guidanceScale: 5, scheduler: "euler" },
  { variant: { family: "sdxl-turbo", size: 64 }, steps: 4, guidanceScale: 0, scheduler: "euler-ancestral" },
  { variant: { family: "lcm", size: 64 }, steps: 4, guidanceScale: 8, scheduler: "lcm" },
];

interface ChildResult {
  /** Milliseconds per denoising step (one at a time only). */
  samples: number[];
  /** Milliseconds per render of all the variations, per timed round. */
  renderMs: number[];
  batchSize: number;
  baselineRss: number;
  peakRss: number;
}

type Mode = "alone" | "batched";

const caseOf = (f: Family): RenderCase => ({
  prompt: PROMPT,
  scheduler: f.scheduler,
  steps: f.steps,
  guidanceScale: f.guidanceScale,
  width: f.variant.size! * 8,
  height: f.variant.size! * 8,
  seed: 1234,
});

/**
 * In a process of its own, so that its peak RSS is this mode's: loads the family as the worker
 * does and renders the variations one at a time (timing each step too) or batched within the budget.
 */
async function child(f: Family, dir: string, mode: Mode): Promise<ChildResult> {
  const baselineRss = process.memoryUsage.rss();
  const generator = await GeneratorModel.load(
    variantName(f.variant),
    dir,
    new SessionFactory("cpu"),
    new RunMeter(),
  );
  const c = caseOf(f);
  const seeds = Array.from({ length: VARIATIONS }, (_, i) => c.seed + i);
  const batching =
    mode === "batched" ? { maxBatchSize: VARIATIONS, memoryBudgetBytes: BUDGET_GIB * 2 ** 30 } : undefined;
  const batchSize = generator.candidatesPerRun(batching, c.width, c.height, c.guidanceScale);
  const samples: number[] = [];
  const renderMs: number[] = [];
  for (let r = 0; r <= REPEATS; r++) {
    const start = performance.now();
    const steps: number[] = [];
    for (let i = 0; i < seeds.length; i += batchSize) {
      const [timed] = await ariaRender(generator, c, seeds.slice(i, i + batchSize));
      steps.push(timed!.perStepMs);
    }
    // The first round warms the sessions up.
    if (r === 0) continue;
    renderMs.push(since(start));
    samples.push(...(mode === "alone" ? steps : []));
  }
  await generator.release();
  return { samples, renderMs, batchSize, baselineRss, peakRss: process.resourceUsage().maxRSS * 1024 };
}

function runChild(family: number, dir: string, mode: Mode) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--child", JSON.stringify({ family, dir, mode })],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 2 ** 24 },
  );
  const name = variantName(FAMILIES[family]!.variant);
  if (run.status !== 0)
    throw new Error(`${name} (${mode}): the benchmark process ended with ${run.status ?? run.signal}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ChildResult;
}

async function onnxBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.onnx(_data)?$|\.onnx\.data$/.test(entry.name)) {
      total += (await stat(join(entry.parentPath, entry.name))).size;
    }
  }
  return total;
}

const childIndex = process.argv.indexOf("--child");
if (childIndex >= 0) {
  const { family, dir, mode } = JSON.parse(process.argv[childIndex + 1]!) as {
    family: number;
    dir: string;
    mode: Mode;
  };
  console.log(JSON.stringify(await child(FAMILIES[family]!, dir, mode)));
  process.exit(0);
}

machineFacts({
  Models:
    "tiny random models of each family's configs, exported by Optimum (test/reference/export_diffusion.py)",
  Renders: `${VARIATIONS} variations, batched within a ${BUDGET_GIB} GiB memoryBudget; ${REPEATS} timed rounds each after one warm-up`,
});

const venv = await referenceVenvOrExit();

const missed: Figure[] = [];
for (const [i, f] of FAMILIES.entries()) {
  const dir = await ensureGeneratorExport(venv, f.variant);
  const c = caseOf(f);
  const alone = runChild(i, dir, "alone");
  const batched = runChild(i, dir, "batched");
  const latentSize = (r: RenderCase) => 4 * (r.height / 8) * (r.width / 8);
  const reference = await runReference(venv, dir, [c], latentSize, REPEATS);
  const refPerStep = median(reference.results[0]!.perStepMs);
  const files = await onnxBytes(dir);
  const perMinute = (ms: number) => (VARIATIONS / ms) * 60_000;
  const MiB = 2 ** 20;
  missed.push(
    ...printTable(
      `${f.variant.family}: ${c.width}×${c.height}, ${c.steps} step${c.steps > 1 ? "s" : ""} ${c.scheduler}, guidance ${c.guidanceScale} (${reference.pipeline}); batched: ${batched.batchSize} candidates per UNet run`,
      [
        { figure: "Aria, time per denoising step", samples: alone.samples, unit: "ms", digits: 1 },
        {
          figure: "reference, time per denoising step",
          samples: reference.results[0]!.perStepMs,
          unit: "ms",
          digits: 1,
        },
        {
          figure: "per-step ratio Aria / reference",
          samples: alone.samples.map((a) => a / refPerStep),
          unit: "×",
          digits: 2,
          target: { op: "≤", value: 1 },
        },
        { figure: "images per minute, one at a time", samples: alone.renderMs.map(perMinute), unit: "/min" },
        {
          figure: "images per minute, variations batched",
          samples: batched.renderMs.map(perMinute),
          unit: "/min",
        },
        { figure: "ONNX files", samples: [files / MiB], unit: "MiB" },
        { figure: "worker peak RSS, one at a time", samples: [alone.peakRss / MiB], unit: "MiB", digits: 0 },
        { figure: "worker peak RSS, batched", samples: [batched.peakRss / MiB], unit: "MiB", digits: 0 },
        {
          // A bare worker's runtime (Node, onnxruntime) is a fixed cost that tiny models cannot hide,
          // and at these sizes the activations dwarf tiny weights; both are shown above as they are.
          figure: "peak RSS the family adds, one at a time / ONNX files",
          samples: [(alone.peakRss - alone.baselineRss) / files],
          unit: "×",
          digits: 2,
          target: { op: "≤", value: 1.2 },
        },
      ],
    ),
  );
}
if (missed.length > 0) console.log(`missed targets: ${missed.map((f) => f.figure).join("; ")}`);
