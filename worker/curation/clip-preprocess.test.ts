import { describe, expect, it } from "vitest";
import { CLIP_MEAN, CLIP_STD, clipPreprocess, clipPreprocessBatch, resizedSize } from "./clip-preprocess.ts";
import type { RgbImage } from "./rgb-image.ts";

const PLANE = 224 * 224;
const at = (t: Float32Array, c: number, y: number, x: number) => t[c * PLANE + y * 224 + x]!;

/** Red ramps left→right, green top→bottom, blue along the diagonal. */
function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = Math.floor((x * 255) / (width - 1));
      data[p + 1] = Math.floor((y * 255) / (height - 1));
      data[p + 2] = Math.floor(((x + y) * 255) / (width + height - 2));
    }
  }
  return { width, height, data };
}

function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < data.length; p += 3) data.set(rgb, p);
  return { width, height, data };
}

// [channel, y, x, value] from transformers' CLIPImageProcessor (PIL backend, transformers
// 5.24 with pillow 13, openai/clip-vit defaults) on the same gradients, computed in a throwaway venv.
const TRANSFORMERS_600x450: Array<[number, number, number, number]> = [
  [0, 0, 0, -1.339711308479309],
  [0, 0, 223, 1.463186502456665],
  [1, 100, 50, -0.04121153801679611],
  [2, 223, 223, 1.875715970993042],
  [1, 112, 112, 0.15388943254947662],
  [0, 50, 200, 1.1712180376052856],
];
const TRANSFORMERS_40x30: Array<[number, number, number, number]> = [
  [0, 0, 0, -1.368908166885376],
  [0, 0, 223, 1.492383360862732],
  [1, 100, 50, -0.04121153801679611],
  [2, 223, 223, 1.9041560888290405],
  [1, 112, 112, 0.16889731585979462],
  [0, 50, 200, 1.2004148960113525],
];

describe("clipPreprocess", () => {
  it("matches CLIPImageProcessor when shrinking a 600×450 image", async () => {
    const t = await clipPreprocess(gradient(600, 450));
    expect(t).toHaveLength(3 * PLANE);
    for (const [c, y, x, v] of TRANSFORMERS_600x450) expect(at(t, c, y, x)).toBeCloseTo(v, 3);
  });

  it("stays within two 8-bit levels of CLIPImageProcessor when enlarging a 40×30 image", async () => {
    // PIL and libvips round their bicubic upsampling differently by at most a level or two.
    const twoLevels = 2 / 255 / 0.26;
    const t = await clipPreprocess(gradient(40, 30));
    for (const [c, y, x, v] of TRANSFORMERS_40x30)
      expect(Math.abs(at(t, c, y, x) - v)).toBeLessThan(twoLevels);
  });

  it("normalises with CLIP's mean and std", async () => {
    const t = await clipPreprocess(solid(64, 64, [255, 128, 0]));
    expect(at(t, 0, 10, 10)).toBeCloseTo((1 - CLIP_MEAN[0]) / CLIP_STD[0], 5);
    expect(at(t, 1, 200, 3)).toBeCloseTo((128 / 255 - CLIP_MEAN[1]) / CLIP_STD[1], 5);
    expect(at(t, 2, 0, 223)).toBeCloseTo((0 - CLIP_MEAN[2]) / CLIP_STD[2], 5);
  });

  it("keeps the centre of a wide image: red | green | blue thirds → all green", async () => {
    const width = 672;
    const image = solid(width, 224, [0, 0, 0]);
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < width; x++) {
        const p = (y * width + x) * 3;
        image.data[p + (x < 224 ? 0 : x < 448 ? 1 : 2)] = 255;
      }
    }
    const t = await clipPreprocess(image);
    const greenHigh = (1 - CLIP_MEAN[1]) / CLIP_STD[1];
    for (const x of [0, 112, 223]) {
      expect(at(t, 1, 112, x)).toBeCloseTo(greenHigh, 5);
      expect(at(t, 0, 112, x)).toBeCloseTo(-CLIP_MEAN[0] / CLIP_STD[0], 5);
    }
  });

  it("truncates the long side like transformers", () => {
    expect(resizedSize(40, 30)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(300, 1000)).toEqual({ width: 224, height: 746 });
  });

  it("stacks a batch as [N, 3, 224, 224] in input order", async () => {
    const { data, dims } = await clipPreprocessBatch([
      solid(32, 32, [0, 0, 0]),
      solid(48, 32, [255, 255, 255]),
    ]);
    expect(dims).toEqual([2, 3, 224, 224]);
    expect(data[0]).toBeCloseTo(-CLIP_MEAN[0] / CLIP_STD[0], 5);
    expect(data[3 * PLANE]).toBeCloseTo((1 - CLIP_MEAN[0]) / CLIP_STD[0], 5);
  });

  it("follows a model's own size, crop, mean and std", async () => {
    const settings = {
      shortestEdge: 64,
      crop: { height: 48, width: 64 },
      rescale: 1 / 255,
      mean: [0.5, 0.45, 0.4],
      std: [0.22, 0.25, 0.28],
    };
    const { data, dims } = await clipPreprocessBatch([solid(100, 80, [255, 0, 51])], settings);
    expect(dims).toEqual([1, 3, 48, 64]);
    const plane = 48 * 64;
    expect(data[0]).toBeCloseTo((1 - 0.5) / 0.22, 5);
    expect(data[plane + 5]).toBeCloseTo(-0.45 / 0.25, 5);
    expect(data[2 * plane + 47 * 64 + 63]).toBeCloseTo((0.2 - 0.4) / 0.28, 5);
  });

  it("rejects a buffer that is not width × height × 3", async () => {
    await expect(clipPreprocess({ width: 4, height: 4, data: new Uint8Array(4 * 4 * 4) })).rejects.toThrow(
      /needs 48 bytes, got 64/,
    );
  });
});
