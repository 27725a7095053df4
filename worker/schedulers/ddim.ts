import type { Rng } from "../random/rng.ts";
import { checkShapes } from "./euler.ts";
import {
  alphaSchedule,
  spacedTimesteps,
  type ResolvedConfig,
  type SchedulerConfig,
} from "./noise-schedule.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";

/** DDIMScheduler's constructor defaults in diffusers. */
export const DDIM_DEFAULTS: ResolvedConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: "linear",
  predictionType: "epsilon",
  stepsOffset: 0,
  timestepSpacing: "leading",
  setAlphaToOne: true,
  clipSample: true,
  clipSampleRange: 1,
  originalInferenceSteps: 50,
  timestepScaling: 10,
};

/** diffusers' DDIMScheduler with eta = 0: deterministic, so the rng is never drawn from. */
export class DdimScheduler implements Scheduler {
  timesteps: number[] = [];
  readonly initNoiseSigma = 1;
  private readonly config: ResolvedConfig;
  private readonly alphas: Float64Array;
  private readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig) {
    ({
      config: this.config,
      alphas: this.alphas,
      finalAlphaCumprod: this.finalAlphaCumprod,
    } = alphaSchedule(config, DDIM_DEFAULTS));
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, true);
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    this.timestepAt(stepIndex);
    return sample;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, _rng: Rng): StepResult {
    checkShapes(modelOutput, sample);
    const t = this.timestepAt(stepIndex);
    // diffusers steps back by a fixed train/inference ratio whatever the spacing; kept for identical numerics.
    const prevT = t - Math.floor(this.config.numTrainTimesteps / this.timesteps.length);
    const alphaT = this.alphas[t]!;
    const alphaPrev = prevT >= 0 ? this.alphas[prevT]! : this.finalAlphaCumprod;
    const sqrtAlpha = Math.sqrt(alphaT);
    const sqrtBeta = Math.sqrt(1 - alphaT);
    const range = this.config.clipSampleRange;
    const predOriginal = new Float32Array(sample.length);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      switch (this.config.predictionType) {
        case "epsilon":
          x0 = (x - sqrtBeta * m) / sqrtAlpha;
          eps = m;
          break;
        case "v_prediction":
          x0 = sqrtAlpha * x - sqrtBeta * m;
          eps = sqrtAlpha * m + sqrtBeta * x;
          break;
        case "sample":
          x0 = m;
          eps = (x - sqrtAlpha * m) / sqrtBeta;
          break;
      }
      if (this.config.clipSample) x0 = Math.min(range, Math.max(-range, x0));
      predOriginal[i] = x0;
      prevSample[i] = Math.sqrt(alphaPrev) * x0 + Math.sqrt(1 - alphaPrev) * eps;
    }
    return { prevSample, predOriginal };
  }

  private timestepAt(stepIndex: number): number {
    const t = this.timesteps[stepIndex];
    if (t === undefined || !Number.isInteger(stepIndex)) {
      throw new RangeError(
        `step index ${stepIndex} is outside 0…${this.timesteps.length - 1}; call setTimesteps first`,
      );
    }
    return t;
  }
}
