// The one place that says what an Artwork asks for once omitted fields are filled in: the user's
// values first, then what learning chose (recorded in status), then the model's and the API's
// defaults. The scheduler, the worker and the feedback API all read an Artwork through this.
import {
  ARTWORK_DEFAULTS,
  type ArtworkSpec,
  type LongPrompt,
  type Mood,
  type OutputFormat,
  type SchedulerName,
} from "./artwork.ts";

/** Steps and guidance chosen for an Artwork by learning, when its spec leaves them out. */
export interface LearnedParameters {
  steps?: number;
  guidanceScale?: number;
}

/** What a generator model renders with when neither the spec nor learning says otherwise. */
export interface ModelDefaults {
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
}

export interface CurationWeights {
  clip: number;
  aesthetic: number;
  technical: number;
}

/** The spec with every API default applied; the model-dependent fields stay as the user and learning set them. */
export interface EffectiveSpec extends Omit<ArtworkSpec, "curation" | "output"> {
  mood: Mood;
  variations: number;
  curation: { weights: CurationWeights; minScore?: number };
  output: { formats: OutputFormat[]; upscale: number };
  priority: number;
  timeoutSeconds: number;
  maxAttempts: number;
  retainPolicy: "Delete" | "Retain";
  longPrompt: LongPrompt;
}

/** An effective spec with the model's defaults applied as well: everything a render needs. */
export interface RenderSpec extends EffectiveSpec {
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
}

export function effectiveSpec(spec: ArtworkSpec, learned?: LearnedParameters): EffectiveSpec;
export function effectiveSpec(
  spec: ArtworkSpec,
  learned: LearnedParameters | undefined,
  model: ModelDefaults,
): RenderSpec;
export function effectiveSpec(
  spec: ArtworkSpec,
  learned: LearnedParameters = {},
  model?: ModelDefaults,
): EffectiveSpec | RenderSpec {
  const D = ARTWORK_DEFAULTS;
  // Plain assignments rather than conditional spreads: this runs on every reconcile of every Artwork.
  const out: EffectiveSpec & Partial<RenderSpec> = {
    ...spec,
    mood: spec.mood ?? D.mood,
    variations: spec.variations ?? D.variations,
    curation: { weights: spec.curation?.weights ?? D.weights },
    output: { formats: spec.output?.formats ?? D.formats, upscale: spec.output?.upscale ?? D.upscale },
    priority: spec.priority ?? D.priority,
    timeoutSeconds: spec.timeoutSeconds ?? D.timeoutSeconds,
    maxAttempts: spec.maxAttempts ?? D.maxAttempts,
    retainPolicy: spec.retainPolicy ?? D.retainPolicy,
    longPrompt: spec.longPrompt ?? D.longPrompt,
  };
  if (spec.curation?.minScore !== undefined) out.curation.minScore = spec.curation.minScore;
  const steps = spec.steps ?? learned.steps ?? model?.steps;
  if (steps !== undefined) out.steps = steps;
  const guidanceScale = spec.guidanceScale ?? learned.guidanceScale ?? model?.guidanceScale;
  if (guidanceScale !== undefined) out.guidanceScale = guidanceScale;
  const scheduler = spec.scheduler ?? model?.scheduler;
  if (scheduler !== undefined) out.scheduler = scheduler;
  const width = spec.width ?? model?.width;
  if (width !== undefined) out.width = width;
  const height = spec.height ?? model?.height;
  if (height !== undefined) out.height = height;
  return out;
}
