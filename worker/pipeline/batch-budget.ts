// How many candidates of one render go through the UNet together. On CPU without fused attention
// the step's transient memory is dominated by the first attention level's score matrix, tokens² per
// head in float32, of which ONNX Runtime holds a few copies at once (scores, softmax) plus its
// arena's rounding: bench/model-families.ts measured 1.16 GiB per UNet row at 512² with 8 heads,
// 2.3 times one copy. That is the estimate a pool's memoryBudget bounds.

const FLOAT32 = 4;
/** Copies of the score matrix alive at the peak, as measured, rounded up. */
const SCORE_COPIES = 2.5;

/** The pool's spec.batching, with the budget already in bytes. */
export interface Batching {
  maxBatchSize: number;
  memoryBudgetBytes?: number;
}

/** The UNet's first attention level: its heads and how far below the latent resolution it runs. */
export interface AttentionLevel {
  heads: number;
  downsample: number;
}

/** SD 1.x: 8 heads at the latent resolution; assumed when a folder has no unet/config.json. */
export const SD_ATTENTION: AttentionLevel = { heads: 8, downsample: 1 };

/** Estimated transient bytes of one UNet row (one candidate's conditional or unconditional prediction). */
export function rowBytes(attention: AttentionLevel, latentWidth: number, latentHeight: number): number {
  const tokens =
    Math.ceil(latentWidth / attention.downsample) * Math.ceil(latentHeight / attention.downsample);
  return tokens * tokens * attention.heads * FLOAT32 * SCORE_COPIES;
}

/** Candidates per UNet run: at most maxBatchSize, fewer when their rows would exceed the budget, at least one. */
export function candidatesPerRun(batching: Batching | undefined, candidateBytes: number): number {
  if (!batching) return 1;
  const byMemory =
    batching.memoryBudgetBytes === undefined
      ? batching.maxBatchSize
      : Math.floor(batching.memoryBudgetBytes / candidateBytes);
  return Math.max(1, Math.min(batching.maxBatchSize, byMemory));
}
