import { describe, expect, it } from "vitest";
import { createScheduler } from "./create-scheduler.ts";
import { alphasCumprod, resolveConfig, roundHalfEven } from "./noise-schedule.ts";
import { EULER_DEFAULTS } from "./euler-scheduler.ts";
import { SD15 } from "../../test/fixtures/scheduler-fixtures.ts";

describe("createScheduler", () => {
  it("builds each sampler named in spec.scheduler", () => {
    for (const name of ["euler", "euler-ancestral", "ddim", "lcm"]) {
      const s = createScheduler(name, SD15);
      s.setTimesteps(4);
      expect(s.timesteps).toHaveLength(4);
    }
  });

  it("rejects an unknown name, naming spec.scheduler and the allowed values", () => {
    expect(() => createScheduler("dpm++", SD15)).toThrow(
      'spec.scheduler must be one of euler, euler-ancestral, ddim, lcm, got "dpm++"',
    );
  });

  it("rejects config options that would silently change the numerics", () => {
    expect(() => createScheduler("euler", { ...SD15, use_karras_sigmas: true })).toThrow(/use_karras_sigmas/);
    expect(() => createScheduler("ddim", { ...SD15, beta_schedule: "squaredcos_cap_v2" })).toThrow(
      /beta_schedule must be one of linear, scaled_linear/,
    );
    expect(() => createScheduler("euler", { ...SD15, timestep_spacing: "even" })).toThrow(
      /timestep_spacing must be one of linspace, leading, trailing/,
    );
  });

  it("rejects a step count outside 1…num_train_timesteps, naming spec.steps", () => {
    expect(() => createScheduler("euler", SD15).setTimesteps(0)).toThrow(/spec\.steps/);
  });
});

describe("noise schedule", () => {
  it("reproduces torch's float32 cumulative alphas for SD 1.5 (reference-values.py)", () => {
    const ac = alphasCumprod(resolveConfig(SD15, EULER_DEFAULTS));
    const expected: Array<[number, number]> = [
      [0, 0.9991499781608582],
      [1, 0.9982960224151611],
      [499, 0.27766942977905273],
      [500, 0.27633246779441833],
      [999, 0.00466009508818388],
    ];
    for (const [i, value] of expected) expect(ac[i]).toBeCloseTo(value, 7);
  });

  it("rounds halves to even like numpy", () => {
    expect([0.5, 1.5, 2.5, 812.5, 937.5, 3.2].map(roundHalfEven)).toEqual([0, 2, 2, 812, 938, 3]);
  });
});
