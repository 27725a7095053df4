import { describe, expect, it } from "vitest";
import { createRng } from "../random/rng.ts";
import type { RgbImage } from "./rgb-image.ts";
import { technicalQuality } from "./technical-quality.ts";

const SIZE = 96;

function image(pixel: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) data.set(pixel(x, y), (y * SIZE + x) * 3);
  return { width: SIZE, height: SIZE, data };
}

/** A detailed, colourful, mid-toned picture: hue bands with fine random texture. */
function detailed(): RgbImage {
  const rng = createRng(5);
  return image((x, y) => {
    const t = 40 * rng.uniform() - 20;
    return [
      clamp(128 + 90 * Math.sin(x / 9) + t),
      clamp(128 + 90 * Math.sin(y / 11 + 2) + t),
      clamp(128 + 90 * Math.cos((x + y) / 13) + t),
    ];
  });
}

function boxBlur(src: RgbImage, radius: number): RgbImage {
  const out = new Uint8Array(src.data.length);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          for (let dx = -radius; dx <= radius; dx++) {
            const yy = Math.min(SIZE - 1, Math.max(0, y + dy));
            const xx = Math.min(SIZE - 1, Math.max(0, x + dx));
            sum += src.data[(yy * SIZE + xx) * 3 + c]!;
            n++;
          }
        }
        out[(y * SIZE + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return { width: SIZE, height: SIZE, data: out };
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

describe("technicalQuality", () => {
  it("scores a blurred copy lower on sharpness and overall", () => {
    const sharp = technicalQuality(detailed());
    const blurred = technicalQuality(boxBlur(detailed(), 3));
    expect(sharp.sharpness).toBeGreaterThan(0.5);
    expect(blurred.sharpness).toBeLessThan(sharp.sharpness / 2);
    expect(blurred.score).toBeLessThan(sharp.score);
  });

  it("scores a grey image lower on colourfulness than a colourful one", () => {
    const grey = technicalQuality(image((x) => [x * 2, x * 2, x * 2]));
    const colourful = technicalQuality(detailed());
    expect(grey.colourfulness).toBe(0);
    expect(colourful.colourfulness).toBeGreaterThan(0.4);
  });

  it("gives an all-white image poor exposure and no contrast", () => {
    const white = technicalQuality(image(() => [255, 255, 255]));
    expect(white.exposure).toBe(0);
    expect(white.contrast).toBe(0);
    expect(white.score).toBeLessThan(0.1);
    expect(technicalQuality(detailed()).exposure).toBeGreaterThan(0.8);
  });

  it("penalises crushed blacks even when the mean brightness is mid-grey", () => {
    // Half pure black, half pure white: mean 0.5 but every pixel clipped.
    const clipped = technicalQuality(image((x) => (x < SIZE / 2 ? [0, 0, 0] : [255, 255, 255])));
    expect(clipped.exposure).toBe(0);
    expect(clipped.contrast).toBe(1);
  });

  it("keeps every measure within 0–1", () => {
    for (const img of [
      detailed(),
      image(() => [0, 0, 0]),
      image((x, y) => ((x + y) % 2 ? [255, 0, 0] : [0, 0, 255])),
    ]) {
      const q = technicalQuality(img);
      for (const v of Object.values(q)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });
});
