import type { Rng } from "../random/rng.ts";
import { BaseScheduler } from "./base-scheduler.ts";
import {
  alphasCumprod,
  COMMON_DEFAULTS,
  interpolate,
  spacedTimesteps,
  trainingSigmas,
  type ResolvedConfig,
  type SchedulerConfig,
} from "./noise-schedule.ts";
import type { StepResult } from "./scheduler.ts";

/** EulerDiscreteScheduler's constructor defaults in diffusers. */
export const EULER_DEFAULTS: ResolvedConfig = { ...COMMON_DEFAULTS, timestepSpacing: "linspace" };

/** diffusers' EulerDiscreteScheduler (s_churn = 0, linear sigma interpolation, final sigma zero). */
export class EulerScheduler extends BaseScheduler {
  /** σ per step plus a trailing 0, as in diffusers. */
  sigmas: number[] = [];
  private readonly trainSigmas: Float64Array;

  constructor(config: SchedulerConfig) {
    super(config, EULER_DEFAULTS);
    this.trainSigmas = trainingSigmas(alphasCumprod(this.config));
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps, false);
    this.sigmas = [...this.timesteps.map((t) => Math.fround(interpolate(t, this.trainSigmas))), 0];
    const maxSigma = Math.max(...this.sigmas);
    // "leading" spacing never reaches the last training timestep, so diffusers pads the initial noise to unit variance on top.
    this.initNoiseSigma =
      this.config.timestepSpacing === "leading" ? Math.fround(Math.sqrt(maxSigma * maxSigma + 1)) : maxSigma;
  }

  override scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    const scale = 1 / Math.sqrt(this.sigmaAt(stepIndex) ** 2 + 1);
    // Plain loops rather than map(): a closure call per element costs more than the arithmetic.
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i]! * scale;
    return out;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, _rng: Rng): StepResult {
    const sigma = this.sigmaAt(stepIndex);
    const predOriginal = this.predictOriginal(modelOutput, sigma, sample);
    const dt = this.sigmas[stepIndex + 1]! - sigma;
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const derivative = (sample[i]! - predOriginal[i]!) / sigma;
      prevSample[i] = sample[i]! + derivative * dt;
    }
    return { prevSample, predOriginal };
  }

  protected sigmaAt(stepIndex: number): number {
    this.checkStepIndex(stepIndex);
    return this.sigmas[stepIndex]!;
  }

  /** x₀ estimate in the σ-parameterisation (Karras et al. 2022, table 1). */
  protected predictOriginal(modelOutput: Float32Array, sigma: number, sample: Float32Array): Float32Array {
    this.checkShapes(modelOutput, sample);
    const out = new Float32Array(sample.length);
    switch (this.config.predictionType) {
      case "epsilon":
        for (let i = 0; i < out.length; i++) out[i] = sample[i]! - sigma * modelOutput[i]!;
        return out;
      case "v_prediction": {
        const cOut = -sigma / Math.sqrt(sigma * sigma + 1);
        const cSkip = 1 / (sigma * sigma + 1);
        for (let i = 0; i < out.length; i++) out[i] = modelOutput[i]! * cOut + sample[i]! * cSkip;
        return out;
      }
      case "sample":
        return Float32Array.from(modelOutput);
    }
  }
}
