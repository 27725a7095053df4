import { CONCEPTS, rgbToLab, type Concept } from "../concepts.ts";
import { WORD_BUCKETS } from "../concept-tokens.ts";
import { seededGaussian } from "../onnx/random.ts";

/**
 * Layout of the generator's text features (hidden size D). The text encoder emits one such vector
 * per token; the UNet sums them over the prompt, so colours are averaged by weight and modifiers add up.
 */
export const TEXT_DIM = 64;
export const COLOUR_WEIGHT = 0;
/** Weighted (L, a, b) of the implied colour: dims 1..3. */
export const COLOUR_LAB = 1;
/** Modifiers, squashed with tanh in the UNet, in this order. */
export const MODIFIERS = [
  "brightness",
  "contrast",
  "saturation",
  "warmth",
  "horizon",
  "glow",
  "sky",
  "texture",
  "structure",
] as const;
export const MODIFIER_START = 4;
/** Coefficients of 16 low-frequency cosine patterns: prompt-specific composition from any word. */
export const COMPOSITION_START = 16;
export const COMPOSITION_COUNT = 16;
/** How strongly an arbitrary word moves the composition coefficients. */
const WORD_COMPOSITION_SCALE = 0.45;

export type Modifier = (typeof MODIFIERS)[number];

/** Rows: 0 = ignored token, then one per concept, then one per word bucket. */
export function painterEmbeddingTable(): Float32Array {
  const rows = 1 + CONCEPTS.length + WORD_BUCKETS;
  const table = new Float32Array(rows * TEXT_DIM);
  CONCEPTS.forEach((concept, index) => table.set(conceptFeatures(concept), (index + 1) * TEXT_DIM));
  const gaussian = seededGaussian(0x5eed_0001);
  for (let bucket = 0; bucket < WORD_BUCKETS; bucket++) {
    const row = (1 + CONCEPTS.length + bucket) * TEXT_DIM;
    for (let k = 0; k < COMPOSITION_COUNT; k++) {
      table[row + COMPOSITION_START + k] = WORD_COMPOSITION_SCALE * gaussian();
    }
  }
  return table;
}

function conceptFeatures(concept: Concept): Float32Array {
  const features = new Float32Array(TEXT_DIM);
  if (concept.colour) {
    const weight = concept.colourWeight ?? 1;
    features[COLOUR_WEIGHT] = weight;
    rgbToLab(concept.colour).forEach((value, i) => (features[COLOUR_LAB + i] = weight * value));
  }
  MODIFIERS.forEach((name, i) => (features[MODIFIER_START + i] = concept[name] ?? 0));
  return features;
}
