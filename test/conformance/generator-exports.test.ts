// The conformance matrix: genuine Optimum exports of each Stable Diffusion family (tiny random
// models built from the family's configs in the reference venv, exported by Optimum's own exporter)
// load in Aria's worker unchanged, and from the same latents and noise its image matches Optimum's
// ONNX Runtime pipeline within 1/255 mean and 2/255 max per channel, for each sampler the family
// takes. Each family also renders a second prompt, which must differ from the first by far more than
// the tolerance: the comparison would see a pipeline that conditioned on the wrong thing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";
import { GeneratorModel } from "../../worker/pipeline/generator-model.ts";
import { ModelRegistry } from "../../worker/pipeline/model-registry.ts";
import { renderArtwork } from "../../worker/pipeline/render-artwork.ts";
import { builtinSpecs, testRequest } from "../fixtures/builtin-pipeline.ts";
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

/** Adds a family's differences to the matrix printed at the end. */
function record(family: string, diffs: Map<string, ImageDifference>): void {
  for (const [label, d] of diffs) {
    table.push({
      family,
      case: label,
      "mean R/G/B": d.mean.map((x) => x.toFixed(3)).join(" / "),
      "max R/G/B": d.max.join(" / "),
    });
  }
}

/** One test per case: Aria's image against the reference's, within the matrix's tolerance. */
function itMatchesTheReference(cases: Array<[string, RenderCase]>, diffs: Map<string, ImageDifference>) {
  for (const [label] of cases) {
    it(`matches the reference within 1/255 mean and 2/255 max per channel: ${label}`, () => {
      const d = diffs.get(label)!;
      for (let channel = 0; channel < 3; channel++) {
        expect(d.mean[channel], `${label}, channel ${channel} mean`).toBeLessThanOrEqual(1);
        expect(d.max[channel], `${label}, channel ${channel} max`).toBeLessThanOrEqual(2);
      }
    });
  }
}

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
      record(name, diffs);
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

    itMatchesTheReference(cases, diffs);

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

// SDXL's "ensemble of expert denoisers": the base denoises the high-noise share of the schedule,
// the refiner (an image-to-image export with the second text encoder and aesthetic-score time ids)
// the rest, from the base's latents; the reference is Optimum's SDXL pipeline with denoising_end
// handing its latents to ORTStableDiffusionXLImg2ImgPipeline with denoising_start.
describe("an SDXL export finished by an SDXL refiner export, both made by Optimum", () => {
  const refined = (scheduler: RenderCase["scheduler"], extra: Partial<RenderCase> = {}) =>
    sd(scheduler, { guidanceScale: 5, switchAt: 0.8, ...extra });
  const cases: Array<[string, RenderCase]> = [
    ["euler, refiner from 0.8", refined("euler")],
    ["euler-ancestral, refiner from 0.8", refined("euler-ancestral")],
    ["ddim, refiner from 0.5", refined("ddim", { switchAt: 0.5 })],
    ["euler, negative prompt, 96×64", refined("euler", { negativePrompt: "grey, blurry", width: 96 })],
    ["other prompt", refined("euler", { prompt: OTHER })],
  ];
  let generator: GeneratorModel;
  let refiner: GeneratorModel;
  const diffs = new Map<string, ImageDifference>();
  let unrefined: ImageDifference;

  beforeAll(async () => {
    const baseDir = await ensureGeneratorExport(venv, { family: "sdxl" });
    const refinerDir = await ensureGeneratorExport(venv, { family: "sdxl-refiner" });
    const factory = new SessionFactory("cpu");
    generator = await GeneratorModel.load("sdxl", baseDir, factory, new RunMeter());
    refiner = await GeneratorModel.load("sdxl-refiner", refinerDir, factory, new RunMeter(), "refiner");
    const latentSize = (c: RenderCase) => 4 * (c.height / 8) * (c.width / 8);
    const reference = await runReference(
      venv,
      baseDir,
      cases.map(([, c]) => c),
      latentSize,
      0,
      refinerDir,
    );
    for (const [i, [label, c]] of cases.entries()) {
      const [aria] = await ariaRender(generator, c, [c.seed], refiner);
      const ref = reference.results[i]!;
      expect(ref.noiseUsed, `${label}: noise the reference's samplers drew`).toBe(
        expectedNoise(c, latentSize(c)),
      );
      diffs.set(label, difference(aria!.image.data, ref.image));
    }
    const [first] = await ariaRender(generator, cases[0]![1], [cases[0]![1].seed], refiner);
    diffs.set(
      "control: first case vs the other prompt",
      difference(first!.image.data, reference.results.at(-1)!.image),
    );
    // The refiner's share must show: the case where it takes the most steps, without it.
    const most = cases[2]![1];
    const [withRefiner] = await ariaRender(generator, most, [most.seed], refiner);
    const [alone] = await ariaRender(generator, { ...most, switchAt: undefined });
    unrefined = difference(withRefiner!.image.data, alone!.image.data);
    record("sdxl + sdxl-refiner", diffs);
  }, 3_600_000);

  afterAll(async () => {
    await generator?.release();
    await refiner?.release();
  });

  it("reads the refiner's folder as Optimum wrote it: the second text encoder, five time ids", () => {
    expect(refiner.folder.textEncoders.map((e) => e.component)).toEqual(["text_encoder_2"]);
    expect(refiner.folder.unet.aestheticScore).toBe(true);
    expect(generator.refinerMismatch(refiner)).toBeUndefined();
  });

  itMatchesTheReference(cases, diffs);

  it("is changed by the refiner, and by the prompt, beyond the tolerance", () => {
    expect(Math.max(...unrefined.mean)).toBeGreaterThan(1);
    expect(Math.max(...unrefined.max)).toBeGreaterThan(2);
    expect(Math.max(...diffs.get("control: first case vs the other prompt")!.mean)).toBeGreaterThan(2);
  });

  it("renders an Artwork on a pool whose generator names the refiner, recording it in the PNG", async () => {
    const factory = new SessionFactory("cpu");
    const meter = new RunMeter();
    const registry = new ModelRegistry(factory, meter);
    await registry.loadAll(
      [
        { ...(await builtinSpecs()).find((m) => m.role === "clip")! },
        { ...(await builtinSpecs()).find((m) => m.role === "aesthetic")! },
        {
          name: "sdxl",
          role: "generator",
          dir: generator.folder.dir,
          refiner: { model: "refiner", switchAt: 0.8 },
        },
        { name: "refiner", role: "refiner", dir: refiner.folder.dir },
      ],
      1,
      () => {},
    );
    try {
      expect(registry.states().map((m) => m.state)).toEqual(["Ready", "Ready", "Ready", "Ready"]);
      const c = cases[0]![1];
      const steps: number[] = [];
      const result = await renderArtwork(
        { registry, factory, meter },
        testRequest({
          ...{ prompt: c.prompt, model: "sdxl", steps: c.steps, seed: c.seed, variations: 1 },
          ...{ width: c.width, height: c.height, guidanceScale: c.guidanceScale, scheduler: c.scheduler },
        }),
        (p) => void steps.push(p.step),
      );
      expect(steps).toEqual([1, 2, 3, 4, 5, 6, 6]);
      const { parameters } = readPngParameters(result.candidates[0]!.png);
      expect(parameters).toContain("Model: sdxl, Refiner: refiner, Refiner switch at: 0.8");
      const [direct] = await ariaRender(generator, c, [c.seed], refiner);
      const { data } = await sharp(result.candidates[0]!.png)
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(Math.max(...difference(new Uint8Array(data), direct!.image.data).max)).toBe(0);
    } finally {
      await registry.releaseAll();
    }
  });

  it("batches refined candidates with each one's seed giving the image a batch of one gives", async () => {
    const c = cases[1]![1];
    const seeds = [c.seed, c.seed + 1];
    const batched = await ariaRender(generator, c, seeds, refiner);
    for (const [k, seed] of seeds.entries()) {
      const [alone] = await ariaRender(generator, c, [seed], refiner);
      const d = difference(batched[k]!.image.data, alone!.image.data);
      expect(Math.max(...d.max), `candidate ${k} (seed ${seed}) batched vs alone`).toBeLessThanOrEqual(1);
    }
  });
});
