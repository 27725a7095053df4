import type { Rng } from "../random/rng.ts";
import { resolveConfig, type ResolvedConfig, type SchedulerConfig } from "./noise-schedule.ts";
import type { Scheduler, StepResult } from "./scheduler.ts";

/**
 * What every sampler shares, as diffusers' schedulers share SchedulerMixin: the resolved config,
 * the schedule's timesteps, the checks on a step's inputs, and an unscaled model input.
 */
export abstract class BaseScheduler implements Scheduler {
  timesteps: number[] = [];
  initNoiseSigma = 1;
  protected readonly config: ResolvedConfig;

  constructor(config: SchedulerConfig, defaults: ResolvedConfig) {
    this.config = resolveConfig(config, defaults);
  }

  abstract setTimesteps(steps: number): void;

  abstract step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, rng: Rng): StepResult;

  /** Identity, as for DDIM and LCM; the index is still checked so a bad one fails here, not later. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    this.checkStepIndex(stepIndex);
    return sample;
  }

  protected checkStepIndex(stepIndex: number): void {
    if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= this.timesteps.length) {
      throw new RangeError(
        `step index ${stepIndex} is outside 0…${this.timesteps.length - 1}; call setTimesteps first`,
      );
    }
  }

  protected checkShapes(modelOutput: Float32Array, sample: Float32Array): void {
    if (modelOutput.length !== sample.length) {
      throw new RangeError(
        `model output has ${modelOutput.length} values but the latent has ${sample.length}`,
      );
    }
  }
}
