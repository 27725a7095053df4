import { BaseScheduler } from "./base-scheduler.ts";
import { alphasCumprod, type ResolvedConfig, type SchedulerConfig } from "./noise-schedule.ts";

/** The alpha-parameterised samplers (DDIM, LCM): they step between ᾱ values rather than σ values. */
export abstract class AlphaScheduler extends BaseScheduler {
  private readonly alphas: Float64Array;
  /** ᾱ after the last step: 1 with set_alpha_to_one, else ᾱ₀. */
  private readonly finalAlphaCumprod: number;

  constructor(config: SchedulerConfig, defaults: ResolvedConfig) {
    super(config, defaults);
    this.alphas = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphas[0]!;
  }

  protected timestepAt(stepIndex: number): number {
    this.checkStepIndex(stepIndex);
    return this.timesteps[stepIndex]!;
  }

  /** ᾱ_t; a negative t (stepping back past the first training timestep) gives the final ᾱ. */
  protected alphaAt(t: number): number {
    return t >= 0 ? this.alphas[t]! : this.finalAlphaCumprod;
  }

  /**
   * x₀ estimate for one latent value x from the model output m at a timestep with √ᾱ and √(1 − ᾱ),
   * clipped when the config asks. Per value, so callers keep the unrounded double.
   */
  protected predictOriginal(x: number, m: number, sqrtAlpha: number, sqrtBeta: number): number {
    const x0 =
      this.config.predictionType === "epsilon"
        ? (x - sqrtBeta * m) / sqrtAlpha
        : this.config.predictionType === "v_prediction"
          ? sqrtAlpha * x - sqrtBeta * m
          : m;
    const range = this.config.clipSampleRange;
    return this.config.clipSample ? Math.min(range, Math.max(-range, x0)) : x0;
  }
}
