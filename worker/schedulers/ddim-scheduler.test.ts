import { describe, expect, it } from "vitest";
import { createRng } from "../random/rng.ts";
import { DdimScheduler } from "./ddim-scheduler.ts";
import { expectClose, MODEL_OUT, SAMPLE, SD15 } from "../../test/fixtures/scheduler-fixtures.ts";

// Reference values: reference-values.py (numpy transcription of diffusers 0.42.1 DDIMScheduler, eta 0)
// with Stable Diffusion 1.5's scheduler_config.json.

describe("DdimScheduler", () => {
  it("uses diffusers' integer timesteps for each spacing (20 and 4 steps)", () => {
    const leading = new DdimScheduler(SD15);
    leading.setTimesteps(20);
    expect(leading.timesteps).toEqual([
      951, 901, 851, 801, 751, 701, 651, 601, 551, 501, 451, 401, 351, 301, 251, 201, 151, 101, 51, 1,
    ]);
    leading.setTimesteps(4);
    expect(leading.timesteps).toEqual([751, 501, 251, 1]);

    const linspace = new DdimScheduler({ ...SD15, timestep_spacing: "linspace" });
    linspace.setTimesteps(20);
    expect(linspace.timesteps).toEqual([
      999, 946, 894, 841, 789, 736, 684, 631, 578, 526, 473, 421, 368, 315, 263, 210, 158, 105, 53, 0,
    ]);

    // 1000/16 = 62.5: numpy rounds the halves to even (937.5 → 938, 812.5 → 812).
    const trailing = new DdimScheduler({ ...SD15, timestep_spacing: "trailing" });
    trailing.setTimesteps(16);
    expect(trailing.timesteps).toEqual([
      999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61,
    ]);
    expect(trailing.initNoiseSigma).toBe(1);
  });

  it("takes the first and last step like diffusers; the input is not rescaled", () => {
    const s = new DdimScheduler(SD15);
    s.setTimesteps(20);
    expect(s.scaleModelInput(SAMPLE, 0)).toEqual(SAMPLE);
    const first = s.step(MODEL_OUT, 0, SAMPLE, createRng(3));
    expectClose(
      first.prevSample,
      [
        2.0493764877319336, 2.2638473510742188, 0.34334051609039307, -1.9047449827194214, -2.366232395172119,
        -0.5861773490905762, 1.798441767692566, 2.563944101333618,
      ],
    );
    expectClose(
      first.predOriginal,
      [
        13.1220245361328125, 15.92088794708252, 2.1881799697875977, -13.97722053527832, -16.04187774658203,
        -1.0244804620742798, 17.253767013549805, 20.88301658630371,
      ],
    );
    // The last step falls back to ᾱ_0 because set_alpha_to_one is false.
    expectClose(
      s.step(MODEL_OUT, 19, SAMPLE, createRng(3)).prevSample,
      [
        1.6775906085968018, 1.8147292137145996, 0.28132885694503784, -1.5111873149871826, -1.9129486083984375,
        -0.5533847808837891, 1.3175113201141357, 1.9784303903579712,
      ],
    );
  });

  it("clips the predicted original sample when the config asks (the DDIM default)", () => {
    const s = new DdimScheduler({ ...SD15, clip_sample: undefined });
    s.setTimesteps(20);
    const { predOriginal } = s.step(MODEL_OUT, 0, SAMPLE, createRng(3));
    expect(Math.max(...predOriginal)).toBe(1);
    expect(Math.min(...predOriginal)).toBe(-1);
  });
});
