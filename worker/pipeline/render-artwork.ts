import { createHash } from "node:crypto";
import sharp from "sharp";
import { ARTWORK_LIMITS } from "../../crds/artwork.ts";
import { selectCandidate } from "../curation/ensemble.ts";
import type { RgbImage } from "../curation/rgb-image.ts";
import { encodeOutputs } from "../encoding/encode-outputs.ts";
import type { GenerationParameters } from "../../lib/encoding/png-parameters.ts";
import { scoreCandidates } from "../curation/batch-curation.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { RenderError } from "./render-error.ts";
import type { RenderProgress, RenderRequest, RenderResult, RenderedCandidate } from "./render-request.ts";
import type { RunMeter } from "../onnx/run-meter.ts";

/** What a render runs against: one thread's models, its provider and its run accounting. */
export interface RenderContext {
  registry: ModelRegistry;
  factory: SessionFactory;
  meter: RunMeter;
}

/** Candidate i renders with seed + i, wrapping within the seeds the API accepts. */
const SEED_RANGE = ARTWORK_LIMITS.seed.maximum + 1;
const PREVIEW_QUALITY = 80;

/**
 * One Artwork: generate `variations` candidates (seeds seed, seed + 1, …), score them all in one
 * batched curation pass, pick one with the ensemble, encode it. The spec was validated at admission;
 * what only the model can refuse (its sizes, its scheduler's limits) comes back as a RenderError
 * naming the spec field, before any model time is spent.
 */
export async function renderArtwork(
  ctx: RenderContext,
  req: RenderRequest,
  onProgress: (p: RenderProgress) => void,
  signal?: AbortSignal,
): Promise<RenderResult> {
  const generator = ctx.registry.generator(req.model);
  const refiner = ctx.registry.refinerOf(req.model);
  const clip = ctx.registry.clip(req.clipModel);
  const aesthetic = ctx.registry.aesthetic(req.aestheticModel);
  generator.checkSize(req.width, req.height);
  generator.createScheduler(req.scheduler, req.steps);
  refiner?.model.checkSize(req.width, req.height);
  refiner?.model.createScheduler(req.scheduler, req.steps);
  ctx.meter.reset();

  const generateStart = performance.now();
  const mode = req.longPrompt ?? "Truncate";
  const conditioning = async (model: typeof generator) => {
    const cond = await model.encodePrompt(req.prompt, mode);
    const uncond = model.guided(req.guidanceScale)
      ? await model.negativeEmbedding(cond, req.negativePrompt, mode)
      : cond;
    return { cond, uncond };
  };
  const { cond, uncond } = await conditioning(generator);
  // The refiner reads the prompt through its own text encoder (SDXL's second).
  const refinerStage = refiner && { ...refiner, ...(await conditioning(refiner.model)) };
  const parameters = (seed: number): GenerationParameters => ({
    prompt: req.prompt,
    ...(req.negativePrompt ? { negativePrompt: req.negativePrompt } : {}),
    steps: req.steps,
    scheduler: req.scheduler,
    guidanceScale: req.guidanceScale,
    seed,
    width: req.width,
    height: req.height,
    model: req.model,
    ...(refiner ? { refiner: { model: refiner.model.name, switchAt: refiner.switchAt } } : {}),
  });
  const images: RgbImage[] = [];
  const seeds = Array.from({ length: req.variations }, (_, variation) => (req.seed + variation) % SEED_RANGE);
  // Each candidate's PNG is encoded on libuv's threads while the next ones generate and while
  // curation runs, so encoding mostly overlaps inference instead of following it.
  const pngs: Array<Promise<Buffer>> = [];
  const batchSize = Math.min(
    generator.candidatesPerRun(req.batching, req.width, req.height, req.guidanceScale),
    refiner?.model.candidatesPerRun(req.batching, req.width, req.height, req.guidanceScale) ?? Infinity,
  );
  for (let first = 0; first < req.variations; first += batchSize) {
    const group = seeds.slice(first, first + batchSize);
    const generated = await generator.generate({
      cond,
      uncond,
      seeds: group,
      steps: req.steps,
      guidanceScale: req.guidanceScale,
      scheduler: req.scheduler,
      width: req.width,
      height: req.height,
      previewEvery: req.previewEvery ?? 0,
      ...(refinerStage ? { refiner: refinerStage } : {}),
      signal,
      onStep: async (step, preview) => {
        onProgress({
          variation: first,
          variations: req.variations,
          ...(group.length > 1 ? { batch: group.length } : {}),
          step,
          totalSteps: req.steps,
          phase: "generating",
          ...(preview ? { preview: await jpeg(preview) } : {}),
        });
      },
    });
    generated.forEach((image, k) => {
      images.push(image);
      const png = encodeOutputs(image, { formats: ["png"], parameters: parameters(group[k]!) }).then(
        ([encoded]) => encoded!.data,
      );
      // Handled where it is awaited; this only keeps a failure during a later batch from being unhandled.
      png.catch(() => {});
      pngs.push(png);
    });
  }
  const generateSeconds = elapsed(generateStart);

  if (signal?.aborted) throw new RenderError("Aborted", "render aborted before curation");
  onProgress({
    variation: req.variations - 1,
    variations: req.variations,
    step: req.steps,
    totalSteps: req.steps,
    phase: "curating",
  });
  const curateStart = performance.now();
  const scores = await scoreCandidates(req.prompt, images, clip, aesthetic);
  const selection = selectCandidate(scores, req.curation.weights, req.curation.minScore);
  const curateSeconds = elapsed(curateStart);

  // What encoding still costs after curation: the part that did not overlap inference.
  const encodeStart = performance.now();
  const encoded = await Promise.all(pngs);
  const candidates: RenderedCandidate[] = selection.candidates.map((c) => {
    const png = encoded[c.index]!;
    return {
      index: c.index,
      seed: seeds[c.index]!,
      png,
      sha256: createHash("sha256").update(png).digest("hex"),
      scores: {
        clip: c.clip,
        aesthetic: c.aesthetic,
        technical: c.technical,
        ensemble: c.ensemble,
        confidence: c.confidence,
      },
    };
  });
  const chosen = selection.selected;
  const outputs = chosen
    ? await encodeOutputs(images[chosen.index]!, {
        formats: req.output.formats,
        upscale: req.output.upscale,
        parameters: parameters(seeds[chosen.index]!),
        aria: { candidate: chosen.index, scores: candidates[chosen.index]!.scores },
        png: encoded[chosen.index],
      })
    : [];
  const encodeSeconds = elapsed(encodeStart);

  return {
    candidates,
    ...(chosen ? { selected: chosen.index } : { rejectedReason: selection.reason }),
    outputs: outputs.map(({ format, data, width, height }) => ({ format, data, width, height })),
    promptTruncated: cond.truncated,
    promptDroppedTokens: cond.droppedTokens,
    timings: { generateSeconds, curateSeconds, encodeSeconds },
    onnx: ctx.meter.reset(),
    provider: ctx.factory.provider,
    ...(ctx.factory.providerMessage ? { providerMessage: ctx.factory.providerMessage } : {}),
  };
}

function jpeg(image: RgbImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality: PREVIEW_QUALITY })
    .toBuffer();
}

function elapsed(start: number): number {
  return (performance.now() - start) / 1000;
}
