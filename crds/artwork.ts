import { Conditions } from "./condition.ts";
import {
  cel,
  Dns1123Label,
  LocalObjectReference,
  ObjectMeta,
  StringEnum,
  Type,
  type Static,
} from "./schema.ts";

export { MOODS, type Mood } from "./artwork-moods.ts";
import { MOODS, type Mood } from "./artwork-moods.ts";

export const SCHEDULERS = ["euler", "euler-ancestral", "ddim", "lcm"] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

/** How a prompt longer than the text encoder's 77-token window is read. */
export const LONG_PROMPT_MODES = ["Truncate", "Chunk"] as const;
export type LongPrompt = (typeof LONG_PROMPT_MODES)[number];

export const OUTPUT_FORMATS = ["png", "webp", "avif", "jpeg", "tiff"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const ARTWORK_PHASES = [
  "Pending",
  "Scheduled",
  "Generating",
  "Curating",
  "Succeeded",
  "Failed",
] as const;
export type ArtworkPhase = (typeof ARTWORK_PHASES)[number];

export const MODEL_CHOICE_REASONS = ["user", "explore", "exploit"] as const;

/** The bounds admission enforces, exported so that no other file restates them. */
export const ARTWORK_LIMITS = {
  promptLength: 2000,
  dimension: { minimum: 64, maximum: 2048, multipleOf: 8 },
  /** Largest width × height: 1536×1536. */
  maxPixels: 1536 * 1536,
  seed: { minimum: 0, maximum: 4294967295 },
  steps: { minimum: 1, maximum: 150 },
  guidanceScale: { minimum: 0, maximum: 30 },
  variations: { minimum: 1, maximum: 16 },
  upscale: { minimum: 1, maximum: 4 },
  priority: { minimum: -1000, maximum: 1000 },
  timeoutSeconds: { minimum: 1, maximum: 86400 },
  maxAttempts: { minimum: 1, maximum: 10 },
} as const;

/**
 * What an omitted field means: the schema's `default`s (the API server fills them in at admission)
 * and the fallbacks of effectiveSpec() for objects it did not default, such as an absent
 * spec.curation.weights.
 */
export const ARTWORK_DEFAULTS = {
  mood: "neutral" as Mood,
  variations: 4,
  weights: { clip: 0.5, aesthetic: 0.3, technical: 0.2 },
  formats: ["png"] as OutputFormat[],
  upscale: 1,
  priority: 0,
  timeoutSeconds: 900,
  maxAttempts: 3,
  retainPolicy: "Delete" as "Delete" | "Retain",
  longPrompt: "Truncate" as LongPrompt,
};

const L = ARTWORK_LIMITS;
const D = ARTWORK_DEFAULTS;

const Dimension = (description: string) => Type.Optional(Type.Integer({ ...L.dimension, description }));

export const CurationSpec = Type.Object(
  {
    weights: Type.Optional(
      Type.Object(
        {
          clip: Type.Number({
            minimum: 0,
            maximum: 1,
            default: D.weights.clip,
            description: "Weight of prompt similarity.",
          }),
          aesthetic: Type.Number({
            minimum: 0,
            maximum: 1,
            default: D.weights.aesthetic,
            description: "Weight of the aesthetic score.",
          }),
          technical: Type.Number({
            minimum: 0,
            maximum: 1,
            default: D.weights.technical,
            description: "Weight of technical quality.",
          }),
        },
        {
          description: "How the ensemble score weighs each scorer.",
          ...cel({
            rule: "self.clip + self.aesthetic + self.technical > 0.0",
            message:
              "spec.curation.weights: at least one of clip, aesthetic, technical must be greater than 0",
          }),
        },
      ),
    ),
    minScore: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "The artwork fails with reason BelowMinimumScore when no candidate's ensemble score reaches this.",
      }),
    ),
  },
  { description: "How candidates are scored and chosen." },
);

export const OutputSpec = Type.Object(
  {
    formats: Type.Optional(
      Type.Array(StringEnum(OUTPUT_FORMATS), {
        minItems: 1,
        maxItems: 5,
        default: D.formats,
        "x-kubernetes-list-type": "set",
        description: "Image formats to write for the selected candidate: png, webp, avif, jpeg, tiff.",
      }),
    ),
    upscale: Type.Optional(
      Type.Integer({
        ...L.upscale,
        default: D.upscale,
        description: "Upscale factor applied to the outputs (1-4).",
      }),
    ),
  },
  { description: "What is written for the selected image." },
);

export const ArtworkSpec = Type.Object(
  {
    prompt: Type.String({ minLength: 1, maxLength: L.promptLength, description: "What to paint." }),
    negativePrompt: Type.Optional(
      Type.String({ maxLength: L.promptLength, description: "What to steer away from." }),
    ),
    mood: Type.Optional(
      StringEnum(MOODS, {
        default: D.mood,
        description: "The feeling to aim for; learning keeps statistics per mood.",
      }),
    ),
    poolRef: LocalObjectReference("The ModelPool, in the same namespace, that renders this artwork."),
    model: Type.Optional(
      Dns1123Label({
        description: "Generator model of the pool to use; omitted, the pool's LearningState chooses.",
      }),
    ),
    seed: Type.Optional(
      Type.Integer({
        ...L.seed,
        description: "Seed of the first candidate; omitted, one is chosen and recorded.",
      }),
    ),
    steps: Type.Optional(
      Type.Integer({
        ...L.steps,
        description: "Denoising steps; omitted, learning or the model chooses.",
      }),
    ),
    guidanceScale: Type.Optional(
      Type.Number({
        ...L.guidanceScale,
        description: "Classifier-free guidance scale; 0 or 1 disables guidance.",
      }),
    ),
    scheduler: Type.Optional(
      StringEnum(SCHEDULERS, { description: "Sampler: euler, euler-ancestral, ddim or lcm." }),
    ),
    longPrompt: Type.Optional(
      StringEnum(LONG_PROMPT_MODES, {
        default: D.longPrompt,
        description:
          "A prompt past the text encoder's 77-token window: Truncate cuts it (status says how many tokens were dropped); Chunk encodes it in 77-token windows and concatenates them, as compel and the A1111 web UI do.",
      }),
    ),
    width: Dimension("Image width in pixels, a multiple of 8."),
    height: Dimension("Image height in pixels, a multiple of 8."),
    variations: Type.Optional(
      Type.Integer({
        ...L.variations,
        default: D.variations,
        description: "Candidates generated and curated; the best is kept.",
      }),
    ),
    curation: Type.Optional(CurationSpec),
    output: Type.Optional(OutputSpec),
    priority: Type.Optional(
      Type.Integer({
        ...L.priority,
        default: D.priority,
        description: "Higher runs first when workers are busy.",
      }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({
        ...L.timeoutSeconds,
        default: D.timeoutSeconds,
        description: "Fails the artwork when it is not done in time.",
      }),
    ),
    maxAttempts: Type.Optional(
      Type.Integer({
        ...L.maxAttempts,
        default: D.maxAttempts,
        description: "Attempts before a lost worker fails the artwork.",
      }),
    ),
    retainPolicy: Type.Optional(
      StringEnum(["Delete", "Retain"] as const, {
        default: D.retainPolicy,
        description: "Whether stored images are deleted with the artwork (Delete) or kept (Retain).",
      }),
    ),
  },
  {
    description: "One generation request. Immutable once created: to re-render, create a new Artwork.",
    ...cel(
      { rule: "self == oldSelf", message: "spec is immutable; create a new Artwork to re-render" },
      {
        rule: `!has(self.width) || !has(self.height) || self.width * self.height <= ${L.maxPixels}`,
        message: `spec.width × spec.height must be at most ${L.maxPixels} pixels (1536×1536)`,
      },
    ),
  },
);
export type ArtworkSpec = Static<typeof ArtworkSpec>;

export const Scores = Type.Object({
  clip: Type.Number({ description: "Prompt–image similarity, 0–1." }),
  aesthetic: Type.Number({ description: "Aesthetic score, 1–10." }),
  technical: Type.Number({ description: "Sharpness, exposure, contrast and colourfulness, 0–1." }),
  ensemble: Type.Number({ description: "Weighted combination, 0–1." }),
  confidence: Type.Number({ description: "Agreement between the scorers, 0–1." }),
});
export type Scores = Static<typeof Scores>;

export const StoredImage = Type.Object({
  format: StringEnum(OUTPUT_FORMATS),
  uri: Type.String(),
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  width: Type.Integer(),
  height: Type.Integer(),
  bytes: Type.Integer(),
});
export type StoredImage = Static<typeof StoredImage>;

export const Candidate = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  seed: Type.Integer({ minimum: 0 }),
  uri: Type.String({ description: "Where the candidate's PNG is stored." }),
  sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  scores: Scores,
});
export type Candidate = Static<typeof Candidate>;

export const ArtworkStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Conditions),
  phase: Type.Optional(
    StringEnum(ARTWORK_PHASES, { description: "For printer columns only; read conditions." }),
  ),
  message: Type.Optional(Type.String()),
  worker: Type.Optional(Type.String({ description: "The worker the current attempt is bound to." })),
  attempt: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: "Current attempt; a worker's write for another attempt is rejected.",
    }),
  ),
  model: Type.Optional(Type.String()),
  modelReason: Type.Optional(StringEnum(MODEL_CHOICE_REASONS, { description: "Why the model was chosen." })),
  seed: Type.Optional(Type.Integer({ minimum: 0 })),
  steps: Type.Optional(Type.Integer()),
  guidanceScale: Type.Optional(Type.Number()),
  scheduler: Type.Optional(Type.String()),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  promptTruncated: Type.Optional(
    Type.Boolean({ description: "The prompt was longer than the model's token window." }),
  ),
  progress: Type.Optional(
    Type.Object({
      step: Type.Integer({ minimum: 0 }),
      totalSteps: Type.Integer({ minimum: 0 }),
      variation: Type.Integer({ minimum: 0 }),
      variations: Type.Integer({ minimum: 0 }),
      percent: Type.Integer({ minimum: 0, maximum: 100 }),
    }),
  ),
  candidates: Type.Optional(Type.Array(Candidate, { maxItems: 16 })),
  selected: Type.Optional(
    Type.Object({
      index: Type.Integer({ minimum: 0 }),
      score: Type.Number(),
      images: Type.Array(StoredImage, { maxItems: 5 }),
    }),
  ),
  timings: Type.Optional(
    Type.Object({
      queuedSeconds: Type.Optional(Type.Number()),
      generateSeconds: Type.Optional(Type.Number()),
      curateSeconds: Type.Optional(Type.Number()),
    }),
  ),
  scheduledTime: Type.Optional(Type.String({ format: "date-time" })),
  startTime: Type.Optional(Type.String({ format: "date-time" })),
  completionTime: Type.Optional(Type.String({ format: "date-time" })),
  feedback: Type.Optional(
    Type.Object(
      {
        like: Type.Integer({ minimum: 0 }),
        love: Type.Integer({ minimum: 0 }),
        download: Type.Integer({ minimum: 0 }),
        share: Type.Integer({ minimum: 0 }),
        delete: Type.Integer({ minimum: 0 }),
      },
      { description: "Reactions folded into learning so far." },
    ),
  ),
});
export type ArtworkStatus = Static<typeof ArtworkStatus>;

export const Artwork = Type.Object({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  metadata: ObjectMeta,
  spec: ArtworkSpec,
  status: Type.Optional(ArtworkStatus),
});
export type Artwork = Static<typeof Artwork>;
