import { assertRgbImage, type RgbImage } from "./rgb-image.ts";

export const HUE_NAMES = [
  "red",
  "orange",
  "yellow",
  "green",
  "cyan",
  "blue",
  "purple",
  "pink",
  "neutral",
] as const;
export type HueName = (typeof HUE_NAMES)[number];

export interface DominantHue {
  colour: HueName;
  /** Mean hue of the winning bins in degrees; undefined when the image is neutral. */
  hue: number | undefined;
  /** Mean chroma of the image (0–1): how colourful it is at all. */
  chroma: number;
}

const BINS = 36;
/** Below this mean chroma an image reads as grey/black/white whatever its faint tint. */
const NEUTRAL_CHROMA = 0.08;

// Upper bound (exclusive, degrees) of each named range; red wraps around 0°.
const RANGES: ReadonlyArray<[number, HueName]> = [
  [15, "red"],
  [45, "orange"],
  [70, "yellow"],
  [160, "green"],
  [200, "cyan"],
  [255, "blue"],
  [305, "purple"],
  [345, "pink"],
  [360, "red"],
];

/**
 * The hue that covers most of the picture, weighting each pixel by its chroma (max − min of RGB):
 * greys, near-blacks and near-whites carry no reliable hue and so barely vote.
 */
export function dominantHue(image: RgbImage): DominantHue {
  assertRgbImage(image);
  const histogram = new Float64Array(BINS);
  // Chroma-weighted hue vectors per bin, so the reported hue is the mean of the winning bins, not a bin centre.
  const vectorX = new Float64Array(BINS);
  const vectorY = new Float64Array(BINS);
  let chromaSum = 0;
  const { data } = image;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]! / 255;
    const g = data[p + 1]! / 255;
    const b = data[p + 2]! / 255;
    const max = Math.max(r, g, b);
    const chroma = max - Math.min(r, g, b);
    chromaSum += chroma;
    if (chroma === 0) continue;
    let h: number;
    if (max === r) h = ((g - b) / chroma + 6) % 6;
    else if (max === g) h = (b - r) / chroma + 2;
    else h = (r - g) / chroma + 4;
    const bin = Math.min(BINS - 1, Math.floor((h * 60 * BINS) / 360));
    histogram[bin]! += chroma;
    vectorX[bin]! += chroma * Math.cos((h * Math.PI) / 3);
    vectorY[bin]! += chroma * Math.sin((h * Math.PI) / 3);
  }
  const chroma = chromaSum / (data.length / 3);
  if (chroma < NEUTRAL_CHROMA) return { colour: "neutral", hue: undefined, chroma };
  // Smooth over neighbouring bins so a hue straddling a bin edge is not split in two.
  let best = 0;
  let bestWeight = -1;
  for (let i = 0; i < BINS; i++) {
    const w = histogram[(i + BINS - 1) % BINS]! + 2 * histogram[i]! + histogram[(i + 1) % BINS]!;
    if (w > bestWeight) {
      bestWeight = w;
      best = i;
    }
  }
  let x = 0;
  let y = 0;
  for (const i of [best + BINS - 1, best, best + 1]) {
    x += vectorX[i % BINS]!;
    y += vectorY[i % BINS]!;
  }
  const hue = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
  return { colour: hueName(hue), hue, chroma };
}

export function hueName(degrees: number): Exclude<HueName, "neutral"> {
  const h = ((degrees % 360) + 360) % 360;
  const match = RANGES.find(([upper]) => h < upper);
  return (match?.[1] ?? "red") as Exclude<HueName, "neutral">;
}
