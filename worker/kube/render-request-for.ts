// An Artwork attempt as the inference layer sees it: its effective spec (the user's values, then
// what learning chose and the scheduler recorded in status, then the model's defaults).
import type { Artwork } from "../../crds/artwork.ts";
import { effectiveSpec, type ModelDefaults } from "../../crds/effective-spec.ts";
import type { Batching } from "../pipeline/batch-budget.ts";
import type { RenderRequest } from "../pipeline/render-request.ts";

/** A JPEG preview every this many denoising steps, for the live preview stream. */
export const PREVIEW_EVERY = 4;

export function renderRequestFor(art: Artwork, model: ModelDefaults, batching?: Batching): RenderRequest {
  const status = art.status ?? {};
  const learned = {
    ...(status.steps !== undefined ? { steps: status.steps } : {}),
    ...(status.guidanceScale !== undefined ? { guidanceScale: status.guidanceScale } : {}),
  };
  const spec = effectiveSpec(art.spec, learned, model);
  return {
    prompt: spec.prompt,
    ...(spec.negativePrompt ? { negativePrompt: spec.negativePrompt } : {}),
    model: status.model ?? spec.model ?? "",
    seed: status.seed ?? spec.seed ?? 0,
    steps: spec.steps,
    guidanceScale: spec.guidanceScale,
    scheduler: spec.scheduler,
    width: spec.width,
    height: spec.height,
    variations: spec.variations,
    curation: spec.curation,
    output: spec.output,
    longPrompt: spec.longPrompt,
    ...(batching ? { batching } : {}),
    previewEvery: PREVIEW_EVERY,
  };
}
