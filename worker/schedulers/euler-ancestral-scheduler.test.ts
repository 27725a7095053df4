import { describe, expect, it } from "vitest";
import { EulerAncestralScheduler } from "./euler-ancestral-scheduler.ts";
import { expectClose, fixedNoise, MODEL_OUT, SAMPLE, SD15 } from "../../test/fixtures/scheduler-fixtures.ts";

// Reference values: reference-values.py (numpy transcription of diffusers 0.42.1
// EulerAncestralDiscreteScheduler), SD 1.5 config, 20 steps, linspace spacing, fixed noise.

describe("EulerAncestralScheduler", () => {
  it("adds sigma_up of fresh noise after the Euler step, as diffusers does", () => {
    const s = new EulerAncestralScheduler(SD15);
    s.setTimesteps(20);
    expect(s.initNoiseSigma).toBeCloseTo(14.614646911621094, 5);
    const rng = fixedNoise();
    const { prevSample, predOriginal } = s.step(MODEL_OUT, 5, SAMPLE, rng);
    expect(rng.draws).toBe(1);
    expectClose(
      prevSample,
      [
        -0.9193971157073975, -0.07411551475524902, -0.6596611738204956, -1.4511008262634277,
        -1.0101337432861328, 0.8969801068305969, 3.0225844383239746, 3.785531997680664,
      ],
    );
    expectClose(
      predOriginal,
      [
        -0.24975037574768066, 0.3403902053833008, -0.04625418782234192, -0.5378928184509277,
        -0.09682273864746094, 1.251051664352417, 2.2614965438842773, 1.6182454824447632,
      ],
    );
  });

  it("lands on the denoised estimate at the last step (sigma 0, no noise added)", () => {
    const s = new EulerAncestralScheduler(SD15);
    s.setTimesteps(20);
    const { prevSample, predOriginal } = s.step(MODEL_OUT, 19, SAMPLE, fixedNoise());
    const expected = [
      1.6683580875396729, 1.8074405193328857, 0.27976125478744507, -1.5062423944473267, -1.9041074514389038,
      -0.5451738834381104, 1.3211230039596558, 1.975996494293213,
    ];
    expectClose(prevSample, expected);
    expectClose(predOriginal, expected);
  });
});
