import { describe, expect, it } from "vitest";
import { LcmScheduler } from "./lcm-scheduler.ts";
import { expectClose, fixedNoise, MODEL_OUT, SAMPLE } from "../../test/fixtures/scheduler-fixtures.ts";

// Reference values: reference-values.py (numpy transcription of diffusers 0.42.1 LCMScheduler),
// LCMScheduler defaults (scaled_linear 0.00085–0.012, original_inference_steps 50), fixed noise.

describe("LcmScheduler", () => {
  it("picks diffusers' timesteps from the 50-step distillation schedule", () => {
    const s = new LcmScheduler({});
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([999, 759, 499, 259]);
    s.setTimesteps(20);
    expect(s.timesteps).toEqual([
      999, 959, 899, 859, 799, 759, 699, 659, 599, 559, 499, 459, 399, 359, 299, 259, 199, 159, 99, 59,
    ]);
    expect(s.initNoiseSigma).toBe(1);
  });

  it("rejects more steps than the distillation schedule has, naming spec.steps", () => {
    expect(() => new LcmScheduler({}).setTimesteps(51)).toThrow(/spec\.steps .*1 to 50/);
  });

  it("re-noises the consistency estimate to the next timestep", () => {
    const s = new LcmScheduler({});
    s.setTimesteps(4);
    const rng = fixedNoise();
    const { prevSample, predOriginal } = s.step(MODEL_OUT, 1, SAMPLE, rng);
    expect(rng.draws).toBe(1);
    expectClose(
      prevSample,
      [
        1.8660738468170166, 2.6978445053100586, 0.0776197612285614, -3.0512776374816895, -3.23755645751953125,
        0.14495089650154114, 4.217894077301025, 5.246115684509277,
      ],
    );
    expectClose(
      predOriginal,
      [
        5.2348480224609375, 6.329463481903076, 0.873100996017456, -5.548588275909424, -6.38596248626709,
        -0.45072051882743835, 6.7947869300842285, 8.262214660644531,
      ],
    );
  });

  it("returns the denoised estimate without drawing noise on the last step", () => {
    const s = new LcmScheduler({});
    s.setTimesteps(4);
    const rng = fixedNoise();
    const { prevSample, predOriginal } = s.step(MODEL_OUT, 3, SAMPLE, rng);
    expect(rng.draws).toBe(0);
    expect(prevSample).toEqual(predOriginal);
    expectClose(
      prevSample,
      [
        1.713478446006775, 1.9651693105697632, 0.2865479588508606, -1.682978868484497, -2.0236353874206543,
        -0.3515738844871521, 1.7949882745742798, 2.3704380989074707,
      ],
    );
  });
});
