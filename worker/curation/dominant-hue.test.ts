import { describe, expect, it } from "vitest";
import { dominantHue, hueName } from "./dominant-hue.ts";
import type { RgbImage } from "./rgb-image.ts";

function fill(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 3);
  return { width, height, data };
}

const solid = (rgb: [number, number, number]) => fill(16, 16, () => rgb);

describe("dominantHue", () => {
  it.each([
    ["red", [220, 30, 30]],
    ["orange", [255, 140, 0]],
    ["yellow", [240, 220, 30]],
    ["green", [40, 180, 60]],
    ["cyan", [0, 200, 210]],
    ["blue", [30, 60, 220]],
    ["purple", [128, 0, 128]],
    ["pink", [255, 20, 147]],
  ] as const)("names a %s image", (name, rgb) => {
    expect(dominantHue(solid([...rgb])).colour).toBe(name);
  });

  it("reports the hue in degrees", () => {
    expect(dominantHue(solid([0, 0, 255])).hue).toBeCloseTo(240, 6);
    expect(dominantHue(solid([255, 0, 128])).hue).toBeCloseTo(330, 0);
  });

  it("calls greys, black and white neutral", () => {
    for (const rgb of [
      [128, 128, 128],
      [0, 0, 0],
      [255, 255, 255],
      [130, 125, 120],
    ] as const) {
      const result = dominantHue(solid([...rgb]));
      expect(result.colour).toBe("neutral");
      expect(result.hue).toBeUndefined();
    }
  });

  it("lets a saturated minority outvote a large grey area", () => {
    // 25 % vivid blue sky over 75 % grey ground.
    const image = fill(16, 16, (_, y) => (y < 4 ? [20, 60, 240] : [110, 110, 110]));
    expect(dominantHue(image).colour).toBe("blue");
  });

  it("picks the hue covering most of a two-colour image", () => {
    const image = fill(20, 10, (x) => (x < 13 ? [30, 170, 50] : [230, 30, 30]));
    expect(dominantHue(image).colour).toBe("green");
  });

  it("wraps red around 0°", () => {
    expect(hueName(355)).toBe("red");
    expect(hueName(5)).toBe("red");
    expect(hueName(-10)).toBe("red");
  });
});
