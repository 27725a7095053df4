import type { LongPrompt, OutputFormat, SchedulerName } from "../../crds/artwork.ts";
import type { CurationWeights } from "../../crds/effective-spec.ts";
import type { ModelRole } from "../../crds/model-pool.ts";
import type { Batching } from "./batch-budget.ts";
import type { RunTotals } from "../onnx/run-meter.ts";

/** One Artwork attempt as the inference layer sees it: the spec with defaults already applied. */
export interface RenderRequest {
  prompt: string;
  negativePrompt?: string;
  /** Generator model name, as loaded by the pool. */
  model: string;
  /** Candidate i uses seed + i (mod 2^32). */
  seed: number;
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  variations: number;
  curation: { weights: CurationWeights; minScore?: number };
  output: { formats: OutputFormat[]; upscale: number };
  /** How a prompt past the text encoder's window is read: cut (the default) or chunked and concatenated. */
  longPrompt?: LongPrompt;
  /**
   * The pool's spec.batching: how many candidates may be denoised together in one UNet batch
   * (diffusers' num_images_per_prompt) and within what memory; absent: one at a time.
   */
  batching?: Batching;
  /** Decode a JPEG preview every this many steps; 0 or absent: none. */
  previewEvery?: number;
  /** Scorer models by name; absent: the pool's only (first) model of that role. */
  clipModel?: string;
  aestheticModel?: string;
}

export interface RenderProgress {
  /** 0-based candidate index. */
  variation: number;
  variations: number;
  /** Candidates denoised together with this one (variation … variation + batch − 1); absent: 1. */
  batch?: number;
  /** Steps finished for this candidate, 1…totalSteps. */
  step: number;
  totalSteps: number;
  /** JPEG of the picture as it stands (the predicted clean image); at the last step, the final image. */
  preview?: Buffer;
  phase: "generating" | "curating";
}

export interface CandidateScores {
  clip: number;
  aesthetic: number;
  technical: number;
  ensemble: number;
  confidence: number;
}

export interface RenderedCandidate {
  index: number;
  seed: number;
  /** The candidate as PNG with its generation parameters embedded. */
  png: Buffer;
  /** sha256 of `png`, hex. */
  sha256: string;
  scores: CandidateScores;
}

export interface RenderedOutput {
  format: OutputFormat;
  data: Buffer;
  width: number;
  height: number;
}

export interface RenderResult {
  candidates: RenderedCandidate[];
  /** Index of the chosen candidate; absent when every candidate fell below spec.curation.minScore. */
  selected?: number;
  rejectedReason?: string;
  /** The selected candidate in each spec.output format, upscaled, with parameters embedded. */
  outputs: RenderedOutput[];
  promptTruncated: boolean;
  /** How many of the prompt's tokens the text encoder's window cut off (0 when it fit). */
  promptDroppedTokens: number;
  /** Wall time in the inference thread: denoising and decoding, scoring, PNG and output encoding. */
  timings: { generateSeconds: number; curateSeconds: number; encodeSeconds: number };
  onnx: RunTotals;
  provider: "cpu" | "cuda";
  providerMessage?: string;
}

export interface ModelSpec {
  name: string;
  role: ModelRole;
  /** Directory in the diffusers/Optimum layout (generator, refiner) or with model.onnx (clip, aesthetic). */
  dir: string;
  /** A generator's second stage: the pool's refiner model and where in the schedule it takes over. */
  refiner?: { model: string; switchAt: number };
}

export type ModelLoadPhase = "Loading" | "Warming" | "Ready" | "Failed";

export interface ModelState {
  name: string;
  role: ModelRole;
  state: ModelLoadPhase;
  message?: string;
}
