import { describe, expect, it } from "vitest";
import { createRng } from "../random/rng.ts";
import { EulerScheduler } from "./euler-scheduler.ts";
import { expectClose, MODEL_OUT, SAMPLE, SD15 } from "../../test/fixtures/scheduler-fixtures.ts";

// Reference values: reference-values.py beside this file, a numpy float32 transcription of
// diffusers 0.42.1 EulerDiscreteScheduler (torch was not installable where these were computed).
// Config: Stable Diffusion 1.5's scheduler_config.json.

describe("EulerScheduler", () => {
  it("matches diffusers' timesteps, sigmas and init_noise_sigma for 20 steps (linspace spacing)", () => {
    const s = new EulerScheduler(SD15);
    s.setTimesteps(20);
    expectClose(
      s.timesteps,
      [
        999.0, 946.4210815429688, 893.84210205078125, 841.26318359375, 788.6842041015625, 736.10528564453125,
        683.5263061523438, 630.9473876953125, 578.368408203125, 525.7894897460938, 473.2105407714844,
        420.631591796875, 368.0526428222656, 315.47369384765625, 262.8947448730469, 210.3157958984375,
        157.736846923828125, 105.15789794921875, 52.578948974609375, 0.0,
      ],
    );
    expectClose(
      s.sigmas,
      [
        14.614646911621094, 10.74685001373291, 8.081536293029785, 6.204951286315918, 4.85566520690918,
        3.865384578704834, 3.1237690448760986, 2.5571682453155518, 2.115661859512329, 1.7648253440856934,
        1.4805827140808105, 1.245815396308899, 1.0481427907943726, 0.8784299492835999, 0.7297195196151733,
        0.5964350700378418, 0.4735862612724304, 0.3555470407009125, 0.23216819763183594, 0.029167532920837402,
        0.0,
      ],
    );
    expect(s.initNoiseSigma).toBeCloseTo(14.614646911621094, 5);
  });

  it("matches diffusers for 4 steps with linspace and leading spacing", () => {
    const linspace = new EulerScheduler(SD15);
    linspace.setTimesteps(4);
    expectClose(linspace.timesteps, [999, 666, 333, 0]);
    expectClose(
      linspace.sigmas,
      [14.614646911621094, 2.9183084964752197, 0.9323583245277405, 0.029167532920837402, 0],
    );

    const leading = new EulerScheduler({ ...SD15, timestep_spacing: "leading" });
    leading.setTimesteps(4);
    expectClose(leading.timesteps, [751, 501, 251, 1]);
    expectClose(
      leading.sigmas,
      [4.116698265075684, 1.6236929893493652, 0.6983985900878906, 0.04131447896361351, 0],
    );
    // Leading spacing adds unit variance on top of the largest sigma.
    expect(leading.initNoiseSigma).toBeCloseTo(4.236413955688477, 5);
  });

  it("spaces trailing timesteps from the last training step", () => {
    const s = new EulerScheduler({ ...SD15, timestep_spacing: "trailing" });
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([999, 749, 499, 249]);
  });

  it("scales the model input and takes one step like diffusers (epsilon and v-prediction)", () => {
    const s = new EulerScheduler(SD15);
    s.setTimesteps(20);
    expectClose(
      s.scaleModelInput(SAMPLE, 5),
      [
        0.4215107262134552, 0.4554864466190338, 0.07069001346826553, -0.379098504781723, -0.48034560680389404,
        -0.13996517658233643, 0.32909858226776123, 0.4955906271934509,
      ],
    );
    const { prevSample, predOriginal } = s.step(MODEL_OUT, 5, SAMPLE, createRng(1));
    expectClose(
      prevSample,
      [
        1.3121341466903687, 1.5349854230880737, 0.21921485662460327, -1.326404094696045, -1.568465232849121,
        -0.21158555150032043, 1.49576568603515625, 1.909556269645691,
      ],
    );
    expectClose(
      predOriginal,
      [
        -0.24975037574768066, 0.3403902053833008, -0.04625418782234192, -0.5378928184509277,
        -0.09682273864746094, 1.251051664352417, 2.2614965438842773, 1.6182454824447632,
      ],
    );

    const v = new EulerScheduler({ ...SD15, prediction_type: "v_prediction" });
    v.setTimesteps(20);
    expectClose(
      v.step(MODEL_OUT, 5, SAMPLE, createRng(1)).prevSample,
      [
        1.2874338626861572, 1.4205325841903687, 0.21570082008838654, -1.194534182548523, -1.485464334487915,
        -0.37136775255203247, 1.1232194900512695, 1.6055715084075928,
      ],
    );
  });

  it("is deterministic: the rng is not consulted", () => {
    const s = new EulerScheduler(SD15);
    s.setTimesteps(4);
    const a = s.step(MODEL_OUT, 1, SAMPLE, createRng(1)).prevSample;
    const b = s.step(MODEL_OUT, 1, SAMPLE, createRng(2)).prevSample;
    expect(a).toEqual(b);
  });

  it("rejects a step index outside the schedule and a latent/output size mismatch", () => {
    const s = new EulerScheduler(SD15);
    expect(() => s.step(MODEL_OUT, 0, SAMPLE, createRng(1))).toThrow(/setTimesteps/);
    s.setTimesteps(4);
    expect(() => s.step(MODEL_OUT, 4, SAMPLE, createRng(1))).toThrow(/step index 4/);
    expect(() => s.step(MODEL_OUT.subarray(1), 0, SAMPLE, createRng(1))).toThrow(/7 values/);
  });
});
