import { beforeAll, describe, expect, it } from "vitest";
import type { RgbImage } from "./rgb-image.ts";
import { scoreCandidates } from "./batch-curation.ts";
import type { RenderContext } from "../pipeline/render-artwork.ts";
import { loadTestContext } from "../../test/fixtures/builtin-pipeline.ts";

let ctx: RenderContext;
beforeAll(async () => {
  ctx = await loadTestContext();
}, 60_000);

/** A soft two-tone gradient in the given colour, so images differ in hue, contrast and sharpness. */
function swatch(rgb: [number, number, number], size: number, stripes: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const shade = 0.6 + 0.4 * Math.sin((x * stripes * Math.PI) / size) * Math.cos((y * Math.PI) / size);
      for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = Math.round(rgb[c]! * shade);
    }
  }
  return { width: size, height: size, data };
}

const COLOURS: Array<[number, number, number]> = [
  [220, 40, 30],
  [30, 60, 210],
  [40, 180, 60],
  [230, 200, 40],
  [200, 60, 180],
  [128, 128, 128],
  [250, 120, 20],
  [20, 200, 210],
];

describe("scoreCandidates", () => {
  it("scores 8 candidates in one run per model, the same as one run per candidate to 1e-5", async () => {
    const images = COLOURS.map((c, i) => swatch(c, 160 + 8 * i, 1 + i));
    const { registry, meter } = ctx;
    meter.reset();
    const batched = await scoreCandidates(
      "a red poppy",
      images,
      registry.clip(undefined),
      registry.aesthetic(undefined),
    );
    const batchedRuns = meter.reset();
    const single = await scoreCandidates(
      "a red poppy",
      images,
      registry.clip(undefined),
      registry.aesthetic(undefined),
      "one-by-one",
    );
    const singleRuns = meter.reset();
    expect(batchedRuns.perSession["aria-clip"]?.runs).toBe(1);
    expect(batchedRuns.perSession["aria-aesthetic"]?.runs).toBe(1);
    expect(singleRuns.perSession["aria-clip"]?.runs).toBe(8);
    expect(singleRuns.perSession["aria-aesthetic"]?.runs).toBe(8);
    for (let i = 0; i < images.length; i++) {
      for (const key of ["clip", "aesthetic", "technical"] as const) {
        expect(Math.abs(batched[i]![key] - single[i]![key])).toBeLessThan(1e-5);
      }
    }
    // The scores say something: CLIP rates the red image highest for a red prompt, and grey lowest on aesthetics.
    const best = batched.reduce((a, s, i) => (s.clip > batched[a]!.clip ? i : a), 0);
    expect(best).toBe(0);
    expect(Math.min(...batched.map((s) => s.aesthetic))).toBe(batched[5]!.aesthetic);
  });
});
