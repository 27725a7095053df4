import type { Rng } from "../random/rng.ts";
import type { StepResult } from "./scheduler.ts";
import { EulerScheduler } from "./euler-scheduler.ts";

/**
 * diffusers' EulerAncestralDiscreteScheduler: an Euler step down to σ_down, then fresh noise of
 * σ_up, so each step re-randomises detail (the seed still fixes the result through `rng`).
 * Same schedule, defaults and input scaling as Euler.
 */
export class EulerAncestralScheduler extends EulerScheduler {
  override step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, rng: Rng): StepResult {
    const sigmaFrom = this.sigmaAt(stepIndex);
    const sigmaTo = this.sigmas[stepIndex + 1]!;
    const predOriginal = this.predictOriginal(modelOutput, sigmaFrom, sample);
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    // Clamped: when σ_to ≪ σ_from rounding can push the difference just below zero.
    const sigmaDown = Math.sqrt(Math.max(0, sigmaTo ** 2 - sigmaUp ** 2));
    const dt = sigmaDown - sigmaFrom;
    // Drawn on every step, the last included (σ_up = 0 there), as diffusers does, so the noise stream lines up.
    const noise = rng.randn(sample.length);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const derivative = (sample[i]! - predOriginal[i]!) / sigmaFrom;
      prevSample[i] = sample[i]! + derivative * dt + noise[i]! * sigmaUp;
    }
    return { prevSample, predOriginal };
  }
}
