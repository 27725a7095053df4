import { CONCEPTS, rgbToLab, type Concept } from "../concepts.ts";
import { WORD_BUCKETS } from "../concept-tokens.ts";

/**
 * The joint embedding space of the built-in CLIP (E dims, like CLIP's projection): a constant anchor,
 * the mean colour's opponent axes (a: red–green, b: yellow–blue), brightness, contrast and
 * saturation. The image tower measures these from pixels; the text tower adds up what each concept
 * word implies; both are L2-normalised, so cosine similarity compares looks. The remaining dims stay
 * zero, reserved like the unused capacity of a real projection.
 */
export const EMBED_DIM = 32;
export const AXIS = { anchor: 0, a: 1, b: 2, brightness: 3, contrast: 4, saturation: 5 } as const;

/** Pixel statistics → embedding, as offset/gain per axis (typical paintings land near 0). */
export const IMAGE_AXES = {
  a: { gain: 1 },
  b: { gain: 1 },
  brightness: { gain: 1.2 },
  /** Standard deviation of luma in [0, 1] units. */
  contrast: { offset: 0.15, gain: 4 },
  /** Mean per-pixel (max − min) over RGB in [0, 1] units. */
  saturation: { offset: 0.2, gain: 2.5 },
} as const;

/** Rows: 0 = ignored token, then one per concept, then the word buckets (which carry no look). */
export function clipTextTable(): Float32Array {
  const rows = 1 + CONCEPTS.length + WORD_BUCKETS;
  const table = new Float32Array(rows * EMBED_DIM);
  CONCEPTS.forEach((concept, index) => table.set(conceptEmbedding(concept), (index + 1) * EMBED_DIM));
  return table;
}

function conceptEmbedding(concept: Concept): Float32Array {
  const e = new Float32Array(EMBED_DIM);
  const add = (axis: number, value: number): void => void (e[axis] = (e[axis] ?? 0) + value);
  if (concept.colour) {
    const weight = concept.colourWeight ?? 1;
    const [L, a, b] = rgbToLab(concept.colour);
    const chroma = Math.max(...concept.colour) - Math.min(...concept.colour);
    add(AXIS.a, weight * a * IMAGE_AXES.a.gain);
    add(AXIS.b, weight * b * IMAGE_AXES.b.gain);
    // A colour word says less about exposure and saturation than the colour itself would measure.
    add(AXIS.brightness, weight * 0.5 * L * IMAGE_AXES.brightness.gain);
    add(AXIS.saturation, weight * 0.5 * (chroma - IMAGE_AXES.saturation.offset) * IMAGE_AXES.saturation.gain);
  }
  add(AXIS.brightness, 0.8 * (concept.brightness ?? 0));
  add(AXIS.contrast, concept.contrast ?? 0);
  add(AXIS.saturation, concept.saturation ?? 0);
  add(AXIS.a, 0.3 * (concept.warmth ?? 0));
  add(AXIS.b, 0.5 * (concept.warmth ?? 0));
  return e;
}
