import type { Rng } from "../random/rng.ts";

/** What one denoising step produces. */
export interface StepResult {
  /** The latent to feed into the next step (or to decode after the last one). */
  prevSample: Float32Array;
  /** The model's current estimate of the clean latent: decoding it gives a step preview. */
  predOriginal: Float32Array;
}

/**
 * One sampler, stateless between steps apart from its schedule: the pipeline passes the step index,
 * so a retried or resumed run cannot drift out of step with the scheduler.
 */
export interface Scheduler {
  /** Training timestep fed to the UNet at each step, in sampling order (descending). */
  readonly timesteps: readonly number[];
  /** Standard deviation the initial Gaussian latent is multiplied by. */
  readonly initNoiseSigma: number;
  setTimesteps(steps: number): void;
  /** Input scaling the UNet expects at this step (identity for DDIM and LCM). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, rng: Rng): StepResult;
}
