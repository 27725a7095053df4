/**
 * The words the built-in models understand. Each concept says how a picture that matches it looks:
 * an implied colour (with a weight: explicit colour words 1, mood words less), and shifts of
 * brightness, contrast, saturation, warmth and composition (horizon bands, a radial glow, a sky
 * gradient, brush texture, structure strength). Every modifier is roughly in [-1, 1].
 * The generator's text encoder, the CLIP towers and the aesthetic scorer are all constructed from
 * this one table, which is what makes their outputs agree with each other.
 */
export type Rgb = readonly [number, number, number];

export interface Concept {
  words: readonly string[];
  colour?: Rgb;
  colourWeight?: number;
  brightness?: number;
  contrast?: number;
  saturation?: number;
  warmth?: number;
  horizon?: number;
  glow?: number;
  sky?: number;
  texture?: number;
  structure?: number;
}

const colour = (words: string[], rgb: Rgb, extra: Omit<Concept, "words" | "colour"> = {}): Concept => ({
  words,
  colour: rgb,
  colourWeight: 1,
  ...extra,
});

export const CONCEPTS: readonly Concept[] = [
  colour(["red", "reds"], [0.86, 0.1, 0.08]),
  colour(["crimson", "scarlet", "ruby"], [0.72, 0.04, 0.14], { brightness: -0.1 }),
  colour(["maroon", "burgundy"], [0.45, 0.05, 0.1], { brightness: -0.3 }),
  colour(["orange", "tangerine"], [0.96, 0.5, 0.08]),
  colour(["amber"], [0.95, 0.65, 0.1]),
  colour(["yellow", "lemon"], [0.97, 0.86, 0.15]),
  colour(["gold", "golden"], [0.86, 0.66, 0.16], { glow: 0.3 }),
  colour(["green", "greens"], [0.15, 0.66, 0.2]),
  colour(["lime"], [0.6, 0.9, 0.15]),
  colour(["emerald", "jade"], [0.05, 0.58, 0.35]),
  colour(["olive"], [0.45, 0.48, 0.15]),
  colour(["teal"], [0.05, 0.55, 0.55]),
  colour(["cyan", "turquoise", "aqua"], [0.1, 0.8, 0.82]),
  colour(["blue", "blues"], [0.1, 0.26, 0.86]),
  colour(["azure", "cerulean"], [0.2, 0.52, 0.95]),
  colour(["navy", "indigo", "sapphire"], [0.12, 0.1, 0.5], { brightness: -0.2 }),
  colour(["purple", "violet"], [0.52, 0.16, 0.72]),
  colour(["lavender", "lilac"], [0.72, 0.6, 0.9], { contrast: -0.2 }),
  colour(["magenta", "fuchsia"], [0.86, 0.1, 0.62]),
  colour(["pink", "rose"], [0.96, 0.45, 0.66]),
  colour(["coral", "peach", "salmon"], [0.98, 0.55, 0.42]),
  colour(["brown", "chocolate", "sepia"], [0.46, 0.29, 0.13]),
  colour(["beige", "sand", "cream"], [0.88, 0.8, 0.62], { contrast: -0.2 }),
  colour(["white", "ivory"], [0.95, 0.95, 0.94], { contrast: -0.3 }),
  colour(["silver"], [0.76, 0.78, 0.82], { saturation: -0.5 }),
  colour(["grey", "gray"], [0.5, 0.5, 0.5], { saturation: -0.8 }),
  colour(["black", "ebony"], [0.05, 0.05, 0.06], { contrast: 0.2 }),

  {
    words: ["serene", "calm", "peaceful", "tranquil", "quiet"],
    colour: [0.55, 0.72, 0.86],
    colourWeight: 0.25,
    brightness: 0.2,
    contrast: -0.6,
    saturation: -0.2,
    texture: -0.4,
    structure: -0.5,
  },
  {
    words: ["joyful", "happy", "cheerful", "playful"],
    colour: [0.98, 0.8, 0.2],
    colourWeight: 0.25,
    brightness: 0.4,
    saturation: 0.6,
    warmth: 0.3,
    texture: 0.2,
  },
  {
    words: ["melancholic", "melancholy", "sad", "gloomy", "lonely"],
    colour: [0.35, 0.42, 0.55],
    colourWeight: 0.3,
    brightness: -0.35,
    saturation: -0.6,
    warmth: -0.4,
  },
  { words: ["dramatic", "epic", "intense"], contrast: 0.9, structure: 0.7, brightness: -0.2, glow: 0.4 },
  {
    words: ["mysterious", "mystical", "eerie"],
    colour: [0.35, 0.2, 0.5],
    colourWeight: 0.3,
    brightness: -0.5,
    saturation: -0.2,
    warmth: -0.3,
    glow: 0.4,
  },
  {
    words: ["energetic", "dynamic", "wild", "chaotic"],
    saturation: 0.6,
    contrast: 0.5,
    texture: 0.9,
    structure: 0.6,
  },
  {
    words: ["dreamy", "ethereal", "soft", "hazy"],
    colour: [0.86, 0.72, 0.9],
    colourWeight: 0.3,
    brightness: 0.25,
    contrast: -0.6,
    texture: -0.4,
    glow: 0.4,
  },
  {
    words: ["nostalgic", "vintage", "retro"],
    colour: [0.72, 0.56, 0.4],
    colourWeight: 0.35,
    saturation: -0.4,
    warmth: 0.4,
  },
  { words: ["dark", "shadow", "shadows", "deep"], brightness: -0.45, contrast: 0.2 },
  { words: ["bright", "light", "luminous", "radiant", "sunny"], brightness: 0.55, glow: 0.2 },
  { words: ["warm", "hot", "autumn"], warmth: 0.7 },
  { words: ["cold", "cool", "icy", "frozen"], warmth: -0.7 },
  { words: ["vivid", "vibrant", "colorful", "colourful", "saturated"], saturation: 0.9 },
  { words: ["muted", "pale", "pastel", "faded"], saturation: -0.6, brightness: 0.2, contrast: -0.3 },
  {
    words: ["sunset", "sunrise", "dusk", "dawn"],
    colour: [0.98, 0.48, 0.12],
    colourWeight: 0.45,
    horizon: 0.8,
    glow: 0.9,
    warmth: 0.2,
  },
  {
    words: ["ocean", "sea", "lake", "water", "waves"],
    colour: [0.08, 0.35, 0.75],
    colourWeight: 0.45,
    horizon: 0.6,
  },
  {
    words: ["forest", "jungle", "trees", "woods"],
    colour: [0.13, 0.45, 0.16],
    colourWeight: 0.45,
    brightness: -0.2,
    texture: 0.6,
    structure: 0.3,
  },
  {
    words: ["night", "midnight", "starry", "stars"],
    colour: [0.08, 0.1, 0.35],
    colourWeight: 0.35,
    brightness: -0.6,
    glow: 0.3,
  },
  {
    words: ["fire", "flame", "flames", "lava", "burning"],
    colour: [0.96, 0.32, 0.05],
    colourWeight: 0.5,
    glow: 0.8,
    contrast: 0.5,
    warmth: 0.8,
  },
  { words: ["sun"], colour: [0.98, 0.82, 0.25], colourWeight: 0.25, glow: 0.9 },
  { words: ["moon", "moonlight"], colour: [0.8, 0.84, 0.95], colourWeight: 0.2, glow: 0.6, brightness: -0.3 },
  { words: ["sky", "clouds", "heaven"], colour: [0.5, 0.7, 0.95], colourWeight: 0.2, sky: 0.8 },
  {
    words: ["storm", "stormy", "thunder"],
    brightness: -0.4,
    contrast: 0.6,
    saturation: -0.4,
    structure: 0.8,
  },
  {
    words: ["snow", "winter", "ice"],
    colour: [0.9, 0.94, 0.98],
    colourWeight: 0.3,
    brightness: 0.5,
    saturation: -0.5,
    warmth: -0.5,
  },
  { words: ["desert", "dunes"], colour: [0.9, 0.7, 0.42], colourWeight: 0.4, horizon: 0.6, warmth: 0.5 },
  { words: ["mountain", "mountains", "landscape", "horizon"], horizon: 0.6, structure: 0.3 },
  { words: ["abstract", "painting", "artwork", "brush", "strokes"], texture: 0.3, structure: 0.2 },
];

/** Centred colour space shared by the models: luma and two opponent axes of 2·rgb−1. */
export function rgbToLab([r, g, b]: Rgb): [number, number, number] {
  const [cr, cg, cb] = [2 * r - 1, 2 * g - 1, 2 * b - 1];
  return [(cr + cg + cb) / 3, cr - cg, (cr + cg) / 2 - cb];
}

/** Inverse of `rgbToLab` as a row-major 3×3 matrix from (L, a, b) to centred (r, g, b). */
export const LAB_TO_CENTRED_RGB: readonly number[] = [1, 0.5, 1 / 3, 1, -0.5, 1 / 3, 1, 0, -2 / 3];
