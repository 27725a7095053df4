// Inputs and helpers the scheduler tests share; imported only by them. The reference values in each
// test come from reference-values.py with these same inputs.
import { expect } from "vitest";
import type { Rng } from "../random/rng.ts";

/** Stable Diffusion 1.5's scheduler_config.json, with the fields the schedulers read. */
export const SD15 = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  steps_offset: 1,
  set_alpha_to_one: false,
  clip_sample: false,
  trained_betas: null,
};

export const SAMPLE = Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + 1) * 2);
export const MODEL_OUT = Float32Array.from({ length: 8 }, (_, i) => Math.cos(0.7 * i) * 0.5);
const NOISE = Float32Array.from({ length: 8 }, (_, i) => 0.3 * (i - 3.5));

/** Hands out NOISE so a step can be compared with values computed outside JavaScript. */
export function fixedNoise(): Rng & { draws: number } {
  return {
    draws: 0,
    randn(n: number) {
      this.draws++;
      return NOISE.slice(0, n);
    },
    nextUint32: () => 0,
    uniform: () => 0,
    normal: () => 0,
  };
}

/** Equal to within float32 rounding of the reference computation. */
export function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(Math.abs(actual[i]! - e)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(e)));
  });
}
