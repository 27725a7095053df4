/** The Stable Diffusion training schedule the built-in generator is constructed for (diffusers keys). */
export const SCHEDULER_CONFIG = {
  _class_name: "EulerDiscreteScheduler",
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  prediction_type: "epsilon",
  steps_offset: 1,
  timestep_spacing: "linspace",
  set_alpha_to_one: false,
  clip_sample: false,
} as const;

/** ᾱ_t for the "scaled_linear" schedule: betas are linear in sqrt space, then squared. */
export function alphasCumprod(
  steps: number = SCHEDULER_CONFIG.num_train_timesteps,
  betaStart: number = SCHEDULER_CONFIG.beta_start,
  betaEnd: number = SCHEDULER_CONFIG.beta_end,
): Float64Array {
  const out = new Float64Array(steps);
  const a = Math.sqrt(betaStart);
  const b = Math.sqrt(betaEnd);
  let product = 1;
  for (let i = 0; i < steps; i++) {
    const beta = (a + ((b - a) * i) / (steps - 1)) ** 2;
    product *= 1 - beta;
    out[i] = product;
  }
  return out;
}
