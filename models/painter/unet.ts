import { alphasCumprod } from "../noise-schedule.ts";
import { spatialGrid } from "../onnx/coordinates.ts";
import { GraphBuilder, type ExternalTensor } from "../onnx/graph-builder.ts";
import { CLIP_CONTEXT_LENGTH } from "../../lib/tokenizer/clip-tokenizer.ts";
import {
  COLOUR_LAB,
  COLOUR_WEIGHT,
  COMPOSITION_COUNT,
  COMPOSITION_START,
  MODIFIER_START,
  MODIFIERS,
  TEXT_DIM,
  type Modifier,
} from "./text-features.ts";

/**
 * Share of the prompt-driven part of the clean-latent estimate. Classifier-free guidance multiplies
 * it by the guidance scale (uncond + g·(cond − uncond)), so at the default g = 5 prompts land at
 * about 1.25× full strength and the decoder's tanh softly saturates them, as with real SD.
 */
const TEXT_GAIN = 0.25;
/** Cosine patterns cos(πpu)·cos(πqv), p, q < 4, carry the low-frequency composition. */
const BASIS_SIDE = 4;

export type TimestepInput = "int64" | "float-scalar";

export interface UnetOptions {
  /** `int64` [batch] like Optimum exports; `float-scalar` [] like some others (tests dtype adaptation). */
  timestep: TimestepInput;
  /** Adds a wide hidden layer whose weights live in external data (the ~1 GB benchmark variant). */
  wide?: { tensors: [ExternalTensor, ExternalTensor]; location: string };
}

/**
 * A UNet-shaped epsilon predictor. It estimates the clean latent x0̂ from the prompt features (palette,
 * brightness, contrast, horizon bands, radial glow, sky gradient) and from the low-frequency structure
 * of the noisy input (so each seed composes differently), then returns
 * eps = (x_t − sqrt(ᾱ_t)·x0̂) / sqrt(1 − ᾱ_t), with ᾱ_t gathered from the scaled_linear schedule.
 * Euler sampling therefore moves every step towards x0̂, and the picture forms gradually.
 *
 * Latent channels: 0 = luma L, 1 = red–green a, 2 = yellow–blue b (see concepts.ts), 3 = brush energy.
 */
export function buildUnet(options: UnetOptions): Uint8Array {
  const g = new GraphBuilder("aria_unet");
  const sample = g.input("sample", "float32", ["batch", 4, "height", "width"]);
  const timestep =
    options.timestep === "int64"
      ? g.input("timestep", "int64", ["batch"])
      : g.input("timestep", "float32", []);
  const text = g.input("encoder_hidden_states", "float32", ["batch", CLIP_CONTEXT_LENGTH, TEXT_DIM]);

  const alphaBar = g.reshape(alphaBarAt(g, timestep, options.timestep), [-1, 1, 1, 1]);

  // Prompt summary: token features are summed; the colour is their weight-averaged (L, a, b).
  const pooled = g.reduceSum(text, [1], false);
  const weight = g.op("Max", [g.slice(pooled, 1, COLOUR_WEIGHT, COLOUR_WEIGHT + 1), g.scalar(1)]);
  const lab = g.div(g.slice(pooled, 1, COLOUR_LAB, COLOUR_LAB + 3), weight);
  let rawModifiers = g.slice(pooled, 1, MODIFIER_START, MODIFIER_START + MODIFIERS.length);
  if (options.wide) rawModifiers = g.add(rawModifiers, wideLayer(g, pooled, options.wide));
  const modifiers = g.op("Tanh", [rawModifiers]);
  const perImage = (x: string, index: number): string =>
    g.reshape(g.slice(x, 1, index, index + 1), [-1, 1, 1, 1]);
  const mod = (name: Modifier): string => perImage(modifiers, MODIFIERS.indexOf(name));
  const [colourL, colourA, colourB] = [0, 1, 2].map((i) => perImage(lab, i)) as [string, string, string];

  // Spatial fields over normalised coordinates (u across, v down).
  const { rows: v, cols: u, height, width } = spatialGrid(g, sample, true);
  const c = (value: number): string => g.scalar(value);
  const horizonAt = g.sub(v, c(0.6));
  const horizon = g.op("Tanh", [g.mul(horizonAt, c(10))]);
  const horizonLine = g.op("Exp", [g.op("Neg", [g.mul(g.mul(horizonAt, horizonAt), c(400))])]);
  const du = g.sub(u, c(0.5));
  const dv = g.sub(v, c(0.47));
  const glowField = g.op("Exp", [g.mul(g.add(g.mul(du, du), g.mul(dv, dv)), c(-1 / (2 * 0.16 * 0.16)))]);
  const skyField = g.sub(c(0.5), v);

  // Low-frequency structure: project each latent channel onto the cosine patterns and renormalise,
  // so the structure has unit strength at every noise level and resolution. The patterns are
  // orthogonal on the pixel grid and equally weighted, so re-projecting a formed structure returns it
  // unchanged: the seed's composition is kept while it denoises instead of collapsing to one gradient.
  const basis = cosineBasis(g, u, v);
  const batch = g.dim(sample, 0);
  const flat = g.reshape(sample, [0, 4, -1]);
  const coefficients = g.op("MatMul", [flat, g.op("Transpose", [basis], { perm: [1, 0] })]);
  const weighted = g.mul(coefficients, g.constant(withoutConstant(), [BASIS_SIDE * BASIS_SIDE]));
  const energy = g.op("Sqrt", [g.add(g.reduceSum(g.mul(weighted, weighted), [2], true), c(1e-6))]);
  const structureFlat = g.op("MatMul", [g.mul(g.div(weighted, energy), c(2)), basis]);
  const structure = g.reshape(structureFlat, g.op("Shape", [sample]));
  const [sL, sA, sB, sT] = [0, 1, 2, 3].map((i) => g.slice(structure, 1, i, i + 1)) as [
    string,
    string,
    string,
    string,
  ];

  // Words outside the concept table still pick a composition: their coefficients weight the patterns.
  const compositionCoefficients = g.mul(
    g.slice(pooled, 1, COMPOSITION_START, COMPOSITION_START + COMPOSITION_COUNT),
    g.constant(smoothFirst(), [COMPOSITION_COUNT]),
  );
  const singleChannel = g.op("Concat", [batch, g.constant([1], [1], "int64"), height, width], { axis: 0 });
  const wordComposition = g.reshape(
    g.op("MatMul", [g.unsqueeze(compositionCoefficients, [1]), basis]),
    singleChannel,
  );

  // Unconditional estimate: a neutral grey whose shapes come from the noisy latent alone.
  const neutral = [
    g.mul(sL, c(0.4)),
    g.mul(sA, c(0.22)),
    g.mul(sB, c(0.22)),
    g.add(g.mul(sT, c(0.6)), c(0.3)),
  ];

  // Prompt-driven part.
  const composition = sum(g, [
    g.mul(mod("horizon"), g.add(g.mul(horizon, c(-0.5)), g.mul(horizonLine, c(0.4)))),
    g.mul(mod("glow"), g.mul(glowField, c(1.0))),
    g.mul(mod("sky"), skyField),
    g.mul(wordComposition, c(0.15)),
  ]);
  const contrastGain = g.add(g.mul(mod("contrast"), c(0.4)), g.mul(mod("structure"), c(0.3)));
  const saturation = g.add(c(1), g.mul(mod("saturation"), c(0.8)));
  // Chroma strength follows the luma structure a little, so the palette varies across the canvas.
  const chromaSpread = g.mul(saturation, g.add(c(1), g.mul(sL, c(0.25))));
  const glowTint = g.mul(mod("glow"), glowField);
  const prompted = [
    sum(g, [colourL, g.mul(mod("brightness"), c(0.8)), composition, g.mul(contrastGain, sL)]),
    sum(g, [g.mul(colourA, chromaSpread), g.mul(mod("warmth"), c(0.5)), g.mul(glowTint, c(0.3))]),
    sum(g, [g.mul(colourB, chromaSpread), g.mul(mod("warmth"), c(0.7)), g.mul(glowTint, c(0.4))]),
    g.add(mod("texture"), g.mul(g.mul(mod("structure"), sT), c(0.3))),
  ];
  const channels = neutral.map((n, i) => g.add(n, g.mul(prompted[i]!, c(TEXT_GAIN))));
  const cleanEstimate = g.op("Concat", channels, { axis: 1 });

  const signal = g.op("Sqrt", [alphaBar]);
  const noise = g.op("Sqrt", [g.sub(c(1), alphaBar)]);
  g.op("Div", [g.sub(sample, g.mul(signal, cleanEstimate)), noise], {}, "out_sample");
  g.output("out_sample", "float32", ["batch", 4, "height", "width"]);
  return g.toBytes();
}

/** ᾱ_t by table lookup; a float timestep is clamped and interpolated between neighbouring entries. */
function alphaBarAt(g: GraphBuilder, timestep: string, kind: TimestepInput): string {
  const table = g.constant(alphasCumprod(), [1000]);
  if (kind === "int64") return g.op("Gather", [table, timestep]);
  const t = g.op("Clip", [timestep, g.scalar(0), g.scalar(999)]);
  const lower = g.op("Floor", [t]);
  const upper = g.op("Min", [g.add(lower, g.scalar(1)), g.scalar(999)]);
  const at = (x: string): string => g.op("Gather", [table, g.op("Cast", [x], { to: 7 })]);
  const low = at(lower);
  return g.add(low, g.mul(g.sub(t, lower), g.sub(at(upper), low)));
}

/** Patterns cos(πpu)·cos(πqv) flattened to [16, H·W], index p·4 + q. */
function cosineBasis(g: GraphBuilder, u: string, v: string): string {
  const frequencies = g.constant(
    Array.from({ length: BASIS_SIDE }, (_, p) => Math.PI * p),
    [BASIS_SIDE, 1, 1, 1],
  );
  const across = g.op("Cos", [g.mul(frequencies, u)]); // [4, 1, 1, W]
  const down = g.op("Cos", [
    g.mul(g.reshape(frequencies, [1, BASIS_SIDE, 1, 1]), g.reshape(v, [1, 1, -1, 1])),
  ]);
  return g.reshape(g.mul(across, down), [BASIS_SIDE * BASIS_SIDE, -1]);
}

/** Every pattern but the constant one (overall brightness is the prompt's job). */
function withoutConstant(): number[] {
  return Array.from({ length: BASIS_SIDE * BASIS_SIDE }, (_, k) => (k === 0 ? 0 : 1));
}

/** Words favour smooth patterns, so they shift the composition rather than add clutter. */
function smoothFirst(): number[] {
  return Array.from(
    { length: BASIS_SIDE * BASIS_SIDE },
    (_, k) => 1 / (1 + 0.5 * (Math.floor(k / BASIS_SIDE) + (k % BASIS_SIDE))),
  );
}

/** tanh(pooled · W1) · W2: a wide layer whose small output nudges the modifiers. */
function wideLayer(g: GraphBuilder, pooled: string, wide: NonNullable<UnetOptions["wide"]>): string {
  const [first, second] = wide.tensors;
  const hidden = g.op("Tanh", [g.op("MatMul", [pooled, g.externalConstant(first, wide.location)])]);
  return g.op("MatMul", [hidden, g.externalConstant(second, wide.location)]);
}

function sum(g: GraphBuilder, terms: string[]): string {
  return terms.slice(1).reduce((acc, term) => g.add(acc, term), terms[0]!);
}
