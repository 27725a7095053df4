/**
 * The parts of diffusers' `scheduler_config.json` every supported scheduler shares: the training
 * noise schedule (betas → cumulative alphas) and how inference timesteps are spaced over it.
 * Arithmetic mirrors diffusers (torch float32 tensors, numpy float64 helpers) so that a model
 * exported from diffusers sees the same timesteps and noise levels here as it did there.
 */

export const BETA_SCHEDULES = ["linear", "scaled_linear"] as const;
export const PREDICTION_TYPES = ["epsilon", "v_prediction", "sample"] as const;
export const TIMESTEP_SPACINGS = ["linspace", "leading", "trailing"] as const;

export type BetaSchedule = (typeof BETA_SCHEDULES)[number];
export type PredictionType = (typeof PREDICTION_TYPES)[number];
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** diffusers' `scheduler_config.json`, as read from a model directory; absent fields take the scheduler's defaults. */
export interface SchedulerConfig {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  prediction_type?: string;
  steps_offset?: number;
  timestep_spacing?: string;
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  clip_sample_range?: number;
  original_inference_steps?: number;
  timestep_scaling?: number;
  [other: string]: unknown;
}

/** A config with every field the scheduler needs, validated. */
export interface ResolvedConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  predictionType: PredictionType;
  stepsOffset: number;
  timestepSpacing: TimestepSpacing;
  setAlphaToOne: boolean;
  clipSample: boolean;
  clipSampleRange: number;
  originalInferenceSteps: number;
  timestepScaling: number;
}

/**
 * Constructor defaults that diffusers' DDIM, Euler and LCM schedulers mostly share; each scheduler's
 * own defaults override the few where it differs.
 */
export const COMMON_DEFAULTS: ResolvedConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: "linear",
  predictionType: "epsilon",
  stepsOffset: 0,
  timestepSpacing: "leading",
  setAlphaToOne: true,
  clipSample: false,
  clipSampleRange: 1,
  originalInferenceSteps: 50,
  timestepScaling: 10,
};

// Options that change the numerics in ways not implemented here; ignoring them would silently
// produce different images from diffusers, so a config that turns one on is rejected.
const UNSUPPORTED_OPTIONS: Record<string, (value: unknown) => boolean> = {
  rescale_betas_zero_snr: (v) => v === true,
  thresholding: (v) => v === true,
  use_karras_sigmas: (v) => v === true,
  use_exponential_sigmas: (v) => v === true,
  use_beta_sigmas: (v) => v === true,
  trained_betas: (v) => v !== undefined && v !== null,
  interpolation_type: (v) => v !== undefined && v !== "linear",
  final_sigmas_type: (v) => v !== undefined && v !== "zero",
};

export function resolveConfig(config: SchedulerConfig, defaults: ResolvedConfig): ResolvedConfig {
  for (const [key, unsupported] of Object.entries(UNSUPPORTED_OPTIONS)) {
    if (unsupported(config[key])) {
      throw new Error(`scheduler_config.json: ${key}=${JSON.stringify(config[key])} is not supported`);
    }
  }
  const resolved: ResolvedConfig = {
    numTrainTimesteps: config.num_train_timesteps ?? defaults.numTrainTimesteps,
    betaStart: config.beta_start ?? defaults.betaStart,
    betaEnd: config.beta_end ?? defaults.betaEnd,
    betaSchedule: oneOf("beta_schedule", config.beta_schedule, BETA_SCHEDULES) ?? defaults.betaSchedule,
    predictionType:
      oneOf("prediction_type", config.prediction_type, PREDICTION_TYPES) ?? defaults.predictionType,
    stepsOffset: config.steps_offset ?? defaults.stepsOffset,
    timestepSpacing:
      oneOf("timestep_spacing", config.timestep_spacing, TIMESTEP_SPACINGS) ?? defaults.timestepSpacing,
    setAlphaToOne: config.set_alpha_to_one ?? defaults.setAlphaToOne,
    clipSample: config.clip_sample ?? defaults.clipSample,
    clipSampleRange: config.clip_sample_range ?? defaults.clipSampleRange,
    originalInferenceSteps: config.original_inference_steps ?? defaults.originalInferenceSteps,
    timestepScaling: config.timestep_scaling ?? defaults.timestepScaling,
  };
  if (!Number.isInteger(resolved.numTrainTimesteps) || resolved.numTrainTimesteps < 2) {
    throw new Error(
      `scheduler_config.json: num_train_timesteps must be an integer ≥ 2, got ${resolved.numTrainTimesteps}`,
    );
  }
  if (!(resolved.betaStart > 0 && resolved.betaEnd < 1 && resolved.betaStart <= resolved.betaEnd)) {
    throw new Error(
      `scheduler_config.json: need 0 < beta_start ≤ beta_end < 1, got ${resolved.betaStart} and ${resolved.betaEnd}`,
    );
  }
  return resolved;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(
    `scheduler_config.json: ${field} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

const f32 = Math.fround;

/**
 * ᾱ_t for every training timestep. Betas follow torch.linspace in float32 (which fills the first half
 * from the start and the second half from the end); torch's CPU cumprod accumulates in double and
 * rounds each output to float32.
 */
export function alphasCumprod(c: ResolvedConfig): Float64Array {
  const n = c.numTrainTimesteps;
  const scaled = c.betaSchedule === "scaled_linear";
  const start = f32(scaled ? Math.sqrt(c.betaStart) : c.betaStart);
  const end = f32(scaled ? Math.sqrt(c.betaEnd) : c.betaEnd);
  const step = f32(f32(end - start) / (n - 1));
  const halfway = Math.floor(n / 2);
  const out = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    const x = i < halfway ? f32(start + f32(step * i)) : f32(end - f32(step * (n - 1 - i)));
    const beta = scaled ? f32(x * x) : x;
    product *= f32(1 - beta);
    out[i] = f32(product);
  }
  return out;
}

/** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t), the noise level of the variance-exploding view used by Euler samplers. */
export function trainingSigmas(alphasCumprodValues: Float64Array): Float64Array {
  return alphasCumprodValues.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/**
 * Inference timesteps, descending, for `timestep_spacing` (Table 2 of arXiv:2305.08891).
 * `round` is false for Euler's fractional "linspace" timesteps and true for DDIM's integer ones.
 */
export function spacedTimesteps(c: ResolvedConfig, steps: number, round: boolean): number[] {
  const n = c.numTrainTimesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > n) {
    throw new RangeError(`spec.steps must be an integer from 1 to ${n}, got ${steps}`);
  }
  switch (c.timestepSpacing) {
    case "linspace": {
      const values = linspace(0, n - 1, steps).reverse();
      return round ? values.map(roundHalfEven) : values.map(f32);
    }
    case "leading": {
      const ratio = Math.floor(n / steps);
      return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + c.stepsOffset);
    }
    case "trailing": {
      const ratio = n / steps;
      const count = Math.ceil(n / ratio);
      return Array.from({ length: count }, (_, i) => roundHalfEven(n - i * ratio) - 1);
    }
  }
}

/** numpy.linspace(start, stop, num) with endpoint: i·step, last element exactly `stop`. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** numpy.interp over the integer grid 0 … values.length − 1. */
export function interpolate(x: number, values: Float64Array): number {
  const last = values.length - 1;
  if (x <= 0) return values[0]!;
  if (x >= last) return values[last]!;
  const i = Math.floor(x);
  const frac = x - i;
  const lo = values[i]!;
  const hi = values[i + 1]!;
  return frac === 0 ? lo : lo + (hi - lo) * frac;
}

/** numpy.round: halves go to the even neighbour (Math.round would send 812.5 to 813, numpy to 812). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
