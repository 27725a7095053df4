import type { Rng } from "../random/rng.ts";
import { AlphaScheduler } from "./alpha-scheduler.ts";
import { COMMON_DEFAULTS, type ResolvedConfig, type SchedulerConfig } from "./noise-schedule.ts";
import type { StepResult } from "./scheduler.ts";

/** LCMScheduler's constructor defaults in diffusers (note: scaled_linear, unlike DDIM and Euler). */
export const LCM_DEFAULTS: ResolvedConfig = {
  ...COMMON_DEFAULTS,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: "scaled_linear",
};

const SIGMA_DATA = 0.5;

/**
 * diffusers' LCMScheduler (Latent Consistency Models, arXiv:2310.04378): each step jumps to a
 * consistency-model estimate of x₀ and re-noises it to the next timestep, so 2–8 steps suffice.
 */
export class LcmScheduler extends AlphaScheduler {
  constructor(config: SchedulerConfig) {
    super(config, LCM_DEFAULTS);
  }

  setTimesteps(steps: number): void {
    const original = this.config.originalInferenceSteps;
    // The distillation schedule: `original` evenly spaced timesteps; inference picks evenly among them.
    const k = Math.floor(this.config.numTrainTimesteps / original);
    if (!Number.isInteger(steps) || steps < 1 || steps > original) {
      throw new RangeError(
        `spec.steps must be an integer from 1 to ${original} for the lcm scheduler, got ${steps}`,
      );
    }
    const origin = Array.from({ length: original }, (_, i) => (original - i) * k - 1);
    const stride = original / steps;
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor(i * stride)]!);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, rng: Rng): StepResult {
    this.checkShapes(modelOutput, sample);
    const t = this.timestepAt(stepIndex);
    const last = stepIndex === this.timesteps.length - 1;
    const prevT = last ? t : this.timesteps[stepIndex + 1]!;
    const alphaT = this.alphaAt(t);
    const alphaPrev = this.alphaAt(prevT);
    const sqrtAlpha = Math.sqrt(alphaT);
    const sqrtBeta = Math.sqrt(1 - alphaT);
    // Boundary-condition scalings: c_skip → 1 and c_out → 0 as t → 0, so the model is the identity there.
    const scaledT = t * this.config.timestepScaling;
    const cSkip = SIGMA_DATA ** 2 / (scaledT ** 2 + SIGMA_DATA ** 2);
    const cOut = scaledT / Math.sqrt(scaledT ** 2 + SIGMA_DATA ** 2);
    // No noise after the final step, as in diffusers (one-step sampling is deterministic).
    const noise = last ? undefined : rng.randn(sample.length);
    const predOriginal = new Float32Array(sample.length);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const x0 = this.predictOriginal(x, modelOutput[i]!, sqrtAlpha, sqrtBeta);
      const denoised = cOut * x0 + cSkip * x;
      predOriginal[i] = denoised;
      prevSample[i] = noise
        ? Math.sqrt(alphaPrev) * denoised + Math.sqrt(1 - alphaPrev) * noise[i]!
        : denoised;
    }
    return { prevSample, predOriginal };
  }
}
