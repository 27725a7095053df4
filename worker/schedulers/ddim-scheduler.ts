import type { Rng } from "../random/rng.ts";
import { AlphaScheduler } from "./alpha-scheduler.ts";
import {
  COMMON_DEFAULTS,
  spacedTimesteps,
  type ResolvedConfig,
  type SchedulerConfig,
} from "./noise-schedule.ts";
import type { StepResult } from "./scheduler.ts";

/** DDIMScheduler's constructor defaults in diffusers. */
export const DDIM_DEFAULTS: ResolvedConfig = { ...COMMON_DEFAULTS, clipSample: true };

/** diffusers' DDIMScheduler with eta = 0: deterministic, so the rng is never drawn from. */
export class DdimScheduler extends AlphaScheduler {
  constructor(config: SchedulerConfig) {
    super(config, DDIM_DEFAULTS);
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, true);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, _rng: Rng): StepResult {
    this.checkShapes(modelOutput, sample);
    const t = this.timestepAt(stepIndex);
    // diffusers steps back by a fixed train/inference ratio whatever the spacing; kept for identical numerics.
    const prevT = t - Math.floor(this.config.numTrainTimesteps / this.timesteps.length);
    const alphaT = this.alphaAt(t);
    const alphaPrev = this.alphaAt(prevT);
    const sqrtAlpha = Math.sqrt(alphaT);
    const sqrtBeta = Math.sqrt(1 - alphaT);
    const predOriginal = new Float32Array(sample.length);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      const x0 = this.predictOriginal(x, m, sqrtAlpha, sqrtBeta);
      // ε from the unclipped prediction, as in diffusers.
      const eps =
        this.config.predictionType === "epsilon"
          ? m
          : this.config.predictionType === "v_prediction"
            ? sqrtAlpha * m + sqrtBeta * x
            : (x - sqrtAlpha * m) / sqrtBeta;
      predOriginal[i] = x0;
      prevSample[i] = Math.sqrt(alphaPrev) * x0 + Math.sqrt(1 - alphaPrev) * eps;
    }
    return { prevSample, predOriginal };
  }
}
