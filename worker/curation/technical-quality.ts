import { assertRgbImage, type RgbImage } from "./rgb-image.ts";

/** Each measure is 0 (bad) … 1 (good); `score` is their weighted mean. */
export interface TechnicalQuality {
  sharpness: number;
  exposure: number;
  contrast: number;
  colourfulness: number;
  score: number;
}

// Sharpness and exposure catch the failures people reject at a glance (mush, blown-out frames),
// so they weigh more than contrast and colour, which are partly a matter of style (a misty mood).
const WEIGHTS = { sharpness: 0.3, exposure: 0.3, contrast: 0.2, colourfulness: 0.2 };

/** Variance of the Laplacian at which sharpness scores 0.5: the usual "blurry below 100" threshold on 8-bit luma. */
const SHARPNESS_HALF = 100;
/** RMS contrast of a well-contrasted photograph; more is not better, so the measure saturates there. */
const FULL_CONTRAST = 0.25;
/** Hasler–Süsstrunk's "extremely colourful" level. */
const FULL_COLOURFULNESS = 109;
/** Luma levels treated as crushed black or blown white. */
const CLIP_LOW = 5;
const CLIP_HIGH = 250;

export function technicalQuality(image: RgbImage): TechnicalQuality {
  assertRgbImage(image);
  const luma = toLuma(image);
  const sharpness = sharpnessOf(luma, image.width, image.height);
  const { exposure, contrast } = tonality(luma);
  const colourfulness = colourfulnessOf(image.data);
  const score =
    WEIGHTS.sharpness * sharpness +
    WEIGHTS.exposure * exposure +
    WEIGHTS.contrast * contrast +
    WEIGHTS.colourfulness * colourfulness;
  return { sharpness, exposure, contrast, colourfulness, score };
}

/** Rec. 601 luma (OpenCV's grayscale), 0–255, so the Laplacian threshold means what it does there. */
function toLuma({ width, height, data }: RgbImage): Float32Array {
  const luma = new Float32Array(width * height);
  for (let i = 0, p = 0; i < luma.length; i++, p += 3) {
    luma[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  }
  return luma;
}

/** Variance of the 4-neighbour Laplacian over interior pixels, squashed to 0–1 as v / (v + 100). */
function sharpnessOf(luma: Float32Array, width: number, height: number): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = luma[i - 1]! + luma[i + 1]! + luma[i - width]! + luma[i + width]! - 4 * luma[i]!;
      sum += lap;
      sumSq += lap * lap;
    }
  }
  const n = (width - 2) * (height - 2);
  const variance = Math.max(0, sumSq / n - (sum / n) ** 2);
  return variance / (variance + SHARPNESS_HALF);
}

/**
 * Exposure: mean brightness near the middle of the range, scaled down by the share of clipped
 * pixels (detail lost in crushed blacks and blown whites cannot come back).
 * Contrast: RMS contrast (standard deviation of luma in 0–1).
 */
function tonality(luma: Float32Array): { exposure: number; contrast: number } {
  let sum = 0;
  let sumSq = 0;
  let clipped = 0;
  for (let i = 0; i < luma.length; i++) {
    const v = luma[i]!;
    sum += v;
    sumSq += v * v;
    if (v <= CLIP_LOW || v >= CLIP_HIGH) clipped++;
  }
  const n = luma.length;
  const mean = sum / n / 255;
  const std = Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2)) / 255;
  const midTones = 1 - Math.min(1, Math.abs(mean - 0.5) * 2);
  return { exposure: midTones * (1 - clipped / n), contrast: Math.min(1, std / FULL_CONTRAST) };
}

/** Hasler & Süsstrunk (2003): σ_rgyb + 0.3·μ_rgyb over the opponent channels rg = R − G, yb = (R + G)/2 − B. */
function colourfulnessOf(data: Uint8Array): number {
  let rgSum = 0;
  let rgSq = 0;
  let ybSum = 0;
  let ybSq = 0;
  const n = data.length / 3;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]!;
    const g = data[p + 1]!;
    const rg = r - g;
    const yb = 0.5 * (r + g) - data[p + 2]!;
    rgSum += rg;
    rgSq += rg * rg;
    ybSum += yb;
    ybSq += yb * yb;
  }
  const rgMean = rgSum / n;
  const ybMean = ybSum / n;
  const rgVar = Math.max(0, rgSq / n - rgMean ** 2);
  const ybVar = Math.max(0, ybSq / n - ybMean ** 2);
  const m = Math.sqrt(rgVar + ybVar) + 0.3 * Math.sqrt(rgMean ** 2 + ybMean ** 2);
  return Math.min(1, m / FULL_COLOURFULNESS);
}
