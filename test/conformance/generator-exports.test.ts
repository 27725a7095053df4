// The conformance matrix: genuine Optimum exports of each Stable Diffusion family (tiny random
// models built from the family's configs in the reference venv, exported by Optimum's own exporter)
// load in Aria's worker unchanged, and from the same latents and noise its image matches Optimum's
// ONNX Runtime pipeline within 1/255 mean and 2/255 max per channel, for each sampler the family
// takes. Each family also renders a second prompt, which must differ from the first by far more than
// the tolerance: the comparison would see a pipeline that conditioned on the wrong thing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeneratorModel } from "../../worker/pipeline/generator-model.ts";
import { RunMeter } from "../../worker/onnx/run-meter.ts";
import { SessionFactory } from "../../worker/onnx/session-factory.ts";
import { ensureReferenceVenv, type ReferenceVenv } from "../reference/python-venv.ts";
import {
  ariaRender,
  difference,
  ensureGeneratorExport,
  runReference,
  variantName,
  type ImageDifference,
  type RenderCase,
  type Variant,
} from "../reference/generator-reference.ts";

const PROMPT = "a lighthouse on a cliff at dusk, oil painting";
const OTHER = "a bowl of lemons on a blue tablecloth";
const LONG = Array(12).fill("a winding river through autumn hills, golden light, mist").join(", ");

interface Row {
  variant: Variant;
  label: string;
  case: RenderCase;
}

const base = { prompt: PROMPT, width: 64, height: 64, seed: 1234 } as const;
const sd = (scheduler: RenderCase["scheduler"], extra: Partial<RenderCase> = {}): RenderCase => ({
  ...base,
  scheduler,
  steps: 6,
  guidanceScale: 7.5,
  ...extra,
});

const MATRIX: Array<{ variant: Variant; cases: Array<[string, RenderCase]> }> = [
  {
    variant: { family: "sd15" },
    cases: [
      ["euler", sd("euler")],
      ["euler-ancestral", sd("euler-ancestral")],
      ["ddim", sd("ddim")],
      ["euler, negative prompt, 96×64", sd("euler", { negativePrompt: "grey, blurry", width: 96 })],
      ["euler, 160-token prompt chunked", sd("euler", { prompt: LONG, longPrompt: "Chunk" })],
      ["other prompt", sd("euler", { prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sd2-v" },
    cases: [
      ["euler", sd("euler")],
      ["euler-ancestral", sd("euler-ancestral")],
      ["ddim", sd("ddim")],
      ["other prompt", sd("ddim", { prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sd-turbo" },
    cases: [
      ["euler, 1 step", sd("euler", { steps: 1, guidanceScale: 0 })],
      ["euler-ancestral, 2 steps", sd("euler-ancestral", { steps: 2, guidanceScale: 0 })],
      ["other prompt", sd("euler", { steps: 1, guidanceScale: 0, prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sdxl" },
    cases: [
      ["euler", sd("euler", { guidanceScale: 5 })],
      ["euler-ancestral", sd("euler-ancestral", { guidanceScale: 5 })],
      ["ddim", sd("ddim", { guidanceScale: 5 })],
      [
        "euler, negative prompt, 96×64",
        sd("euler", { guidanceScale: 5, negativePrompt: "grey, blurry", width: 96 }),
      ],
      [
        "euler, 160-token prompt chunked",
        sd("euler", { guidanceScale: 5, prompt: LONG, longPrompt: "Chunk" }),
      ],
      ["other prompt", sd("euler", { guidanceScale: 5, prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sdxl-turbo" },
    cases: [
      ["euler-ancestral, 1 step", sd("euler-ancestral", { steps: 1, guidanceScale: 0 })],
      ["euler, 4 steps", sd("euler", { steps: 4, guidanceScale: 0 })],
      ["other prompt", sd("euler-ancestral", { steps: 1, guidanceScale: 0, prompt: OTHER })],
    ],
  },
  {
    variant: { family: "lcm" },
    cases: [
      ["lcm, 4 steps", sd("lcm", { steps: 4, guidanceScale: 8 })],
      ["lcm, 1 step", sd("lcm", { steps: 1, guidanceScale: 8 })],
      ["other prompt", sd("lcm", { steps: 4, guidanceScale: 8, prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sd15", fp16: true },
    cases: [
      ["euler", sd("euler")],
      ["other prompt", sd("euler", { prompt: OTHER })],
    ],
  },
  {
    variant: { family: "sdxl", fp16: true },
    cases: [
      ["euler", sd("euler", { guidanceScale: 5 })],
      ["other prompt", sd("euler", { guidanceScale: 5, prompt: OTHER })],
    ],
  },
];

/** Normal draws Aria's sampler makes per candidate: ancestral noise every step, LCM between steps. */
function expectedNoise(c: RenderCase, size: number): number {
  if (c.scheduler === "euler-ancestral") return c.steps * size;
  if (c.scheduler === "lcm") return (c.steps - 1) * size;
  return 0;
}

let venv: ReferenceVenv;
const table: Array<Record<string, string | number>> = [];

beforeAll(async () => {
  venv = await ensureReferenceVenv();
}, 3_600_000);

afterAll(() => {
  console.table(table);
});

for (const { variant, cases } of MATRIX) {
  const name = variantName(variant);
  describe(`a ${name} export made by Optimum`, () => {
    let generator: GeneratorModel;
    const diffs = new Map<string, ImageDifference>();
    let pipeline = "";

    beforeAll(async () => {
      const dir = await ensureGeneratorExport(venv, variant);
      generator = await GeneratorModel.load(name, dir, new SessionFactory("cpu"), new RunMeter());
      const latentSize = (c: RenderCase) => 4 * (c.height / 8) * (c.width / 8);
      const rows: Row[] = cases.map(([label, c]) => ({ variant, label, case: c }));
      const reference = await runReference(
        venv,
        dir,
        rows.map((r) => r.case),
        latentSize,
      );
      pipeline = reference.pipeline;
      for (const [i, row] of rows.entries()) {
        const [aria] = await ariaRender(generator, row.case);
        const ref = reference.results[i]!;
        expect(ref.noiseUsed, `${row.label}: noise the reference's sampler drew`).toBe(
          expectedNoise(row.case, latentSize(row.case)),
        );
        diffs.set(row.label, difference(aria!.image.data, ref.image));
      }
      // The control: Aria's first case against the reference's other prompt.
      const [first] = await ariaRender(generator, cases[0]![1]);
      const other = rows.findIndex((r) => r.label === "other prompt");
      diffs.set(
        "control: first case vs the other prompt",
        difference(first!.image.data, reference.results[other]!.image),
      );
      for (const [label, d] of diffs) {
        table.push({
          family: name,
          case: label,
          "mean R/G/B": d.mean.map((x) => x.toFixed(3)).join(" / "),
          "max R/G/B": d.max.join(" / "),
        });
      }
    }, 3_600_000);

    afterAll(async () => {
      await generator?.release();
    });

    it("is driven by the pipeline Optimum chooses for it", () => {
      const expected = variant.family.startsWith("sdxl")
        ? "ORTStableDiffusionXLPipeline"
        : variant.family === "lcm"
          ? "ORTLatentConsistencyModelPipeline"
          : "ORTStableDiffusionPipeline";
      expect(pipeline).toBe(expected);
      const ours: Record<string, string> = {
        ORTStableDiffusionPipeline: "stable-diffusion",
        ORTStableDiffusionXLPipeline: "stable-diffusion-xl",
        ORTLatentConsistencyModelPipeline: "latent-consistency",
      };
      expect(generator.folder.pipeline).toBe(ours[expected]);
    });

    for (const [label] of cases) {
      it(`matches the reference within 1/255 mean and 2/255 max per channel: ${label}`, () => {
        const d = diffs.get(label)!;
        for (let channel = 0; channel < 3; channel++) {
          expect(d.mean[channel], `${label}, channel ${channel} mean`).toBeLessThanOrEqual(1);
          expect(d.max[channel], `${label}, channel ${channel} max`).toBeLessThanOrEqual(2);
        }
      });
    }

    it("batches candidates through the UNet with each one's seed giving the image a batch of one gives", async () => {
      const [, first] = cases[0]!;
      // The ancestral sampler draws fresh noise every step: each candidate must keep its own stream.
      const c: RenderCase = first.scheduler === "euler" ? { ...first, scheduler: "euler-ancestral" } : first;
      const seeds = [c.seed, c.seed + 1, c.seed + 2];
      const batched = await ariaRender(generator, c, seeds);
      for (const [k, seed] of seeds.entries()) {
        const [alone] = await ariaRender(generator, c, [seed]);
        const d = difference(batched[k]!.image.data, alone!.image.data);
        expect(Math.max(...d.max), `candidate ${k} (seed ${seed}) batched vs alone`).toBeLessThanOrEqual(1);
      }
      expect(Math.max(...difference(batched[0]!.image.data, batched[1]!.image.data).mean)).toBeGreaterThan(2);
    });

    it("would see a wrong conditioning: another prompt moves the image far beyond the tolerance", () => {
      const d = diffs.get("control: first case vs the other prompt")!;
      expect(Math.max(...d.mean)).toBeGreaterThan(2);
    });
  });
}
