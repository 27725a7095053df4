import { ARTWORK_DEFAULTS, SCHEDULERS } from "../../crds/artwork.ts";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { dominantHue } from "../curation/dominant-hue.ts";
import type { RgbImage } from "../curation/rgb-image.ts";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";
import { renderArtwork, type RenderContext } from "./render-artwork.ts";
import { RenderError } from "./render-error.ts";
import type { RenderProgress } from "./render-request.ts";
import { loadTestContext, testRequest } from "../../test/fixtures/builtin-pipeline.ts";
import { rejection } from "../../test/support/rejection.ts";

let ctx: RenderContext;
beforeAll(async () => {
  ctx = await loadTestContext();
}, 60_000);

async function decode(image: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

describe("renderArtwork", () => {
  it("gives the same bytes for the same request, and different ones for another seed", async () => {
    const first = await renderArtwork(ctx, testRequest(), () => {});
    const second = await renderArtwork(ctx, testRequest(), () => {});
    const reseeded = await renderArtwork(ctx, testRequest({ seed: 43 }), () => {});
    expect(second.candidates.map((c) => c.sha256)).toEqual(first.candidates.map((c) => c.sha256));
    expect(second.outputs[0]!.data.equals(first.outputs[0]!.data)).toBe(true);
    expect(first.candidates.map((c) => c.seed)).toEqual([42, 43]);
    // Candidate i uses seed + i, so seed 43's first candidate is seed 42's second.
    expect(reseeded.candidates[0]!.sha256).toBe(first.candidates[1]!.sha256);
    expect(first.candidates[0]!.sha256).not.toBe(first.candidates[1]!.sha256);
  });

  it("paints a red prompt red and a blue prompt blue", async () => {
    const red = await renderArtwork(ctx, testRequest({ prompt: "a red sunset over the sea" }), () => {});
    const blue = await renderArtwork(ctx, testRequest({ prompt: "a deep blue ocean" }), () => {});
    expect(dominantHue(await decode(red.outputs[0]!.data)).colour).toBe("red");
    expect(dominantHue(await decode(blue.outputs[0]!.data)).colour).toBe("blue");
  });

  it("renders with every scheduler, at non-square sizes", async () => {
    for (const scheduler of SCHEDULERS) {
      const request = testRequest({
        prompt: "a crimson red barn",
        scheduler,
        width: 192,
        height: 96,
        variations: 1,
      });
      const result = await renderArtwork(ctx, request, () => {});
      const image = await decode(result.outputs[0]!.data);
      expect([scheduler, image.width, image.height, dominantHue(image).colour]).toEqual([
        scheduler,
        192,
        96,
        "red",
      ]);
    }
  });

  it("runs a float-scalar-timestep export with the same pipeline as an int64 one", async () => {
    const request = testRequest({ prompt: "a blue lake", model: "aria-painter-float-timestep" });
    const result = await renderArtwork(ctx, request, () => {});
    expect(result.onnx.perSession["aria-painter-float-timestep/unet"]?.runs).toBe(12);
    expect(dominantHue(await decode(result.outputs[0]!.data)).colour).toBe("blue");
  });

  it("batches unconditional and conditional guidance into one UNet run per step", async () => {
    const guided = await renderArtwork(
      ctx,
      testRequest({ guidanceScale: 5, steps: 5, variations: 3 }),
      () => {},
    );
    expect(guided.onnx.perSession["aria-painter/unet"]?.runs).toBe(15);
    // Both prompts are encoded once per render, not per candidate.
    expect(guided.onnx.perSession["aria-painter/text_encoder"]?.runs).toBe(2);
    const unguided = await renderArtwork(
      ctx,
      testRequest({ guidanceScale: 1, steps: 5, variations: 3 }),
      () => {},
    );
    expect(unguided.onnx.perSession["aria-painter/text_encoder"]?.runs).toBe(1);
    // Guidance strengthens the prompt: the guided picture differs from the unguided one.
    expect(guided.candidates[0]!.sha256).not.toBe(unguided.candidates[0]!.sha256);
  });

  it("sends previews in step order, showing the picture forming, the last one being the final image", async () => {
    const progress: RenderProgress[] = [];
    const result = await renderArtwork(ctx, testRequest({ steps: 8, previewEvery: 3 }), (p) =>
      progress.push(p),
    );
    const generating = progress.filter((p) => p.phase === "generating");
    expect(generating.map((p) => `${p.variation}:${p.step}`)).toEqual(
      [0, 1].flatMap((v) => [1, 2, 3, 4, 5, 6, 7, 8].map((s) => `${v}:${s}`)),
    );
    expect(progress.at(-1)?.phase).toBe("curating");
    const previews = generating.filter((p) => p.variation === 0 && p.preview);
    expect(previews.map((p) => p.step)).toEqual([3, 6, 8]);
    const final = await decode(result.candidates[0]!.png);
    const last = await decode(previews.at(-1)!.preview!);
    const first = await decode(previews[0]!.preview!);
    expect(meanAbsDiff(last, final)).toBeLessThan(2);
    expect(meanAbsDiff(first, final)).toBeGreaterThan(meanAbsDiff(last, final) + 1);
  });

  it("embeds the generation parameters and reports a truncated prompt", async () => {
    const long = Array.from({ length: 100 }, () => "red").join(" ");
    const result = await renderArtwork(ctx, testRequest({ prompt: long, variations: 1 }), () => {});
    expect(result.promptTruncated).toBe(true);
    // 100 words, one token each, in a window of 75 between the start and end tokens.
    expect(result.promptDroppedTokens).toBe(25);
    expect(readPngParameters(result.outputs[0]!.data).parameters).toContain("Seed: 42, Size: 128x128");
    const short = await renderArtwork(ctx, testRequest({ variations: 1 }), () => {});
    expect(short.promptTruncated).toBe(false);
    expect(short.promptDroppedTokens).toBe(0);
  });

  it("selects nothing, with a reason, when every candidate is below minScore", async () => {
    const result = await renderArtwork(
      ctx,
      testRequest({ curation: { weights: ARTWORK_DEFAULTS.weights, minScore: 0.99 } }),
      () => {},
    );
    expect(result.selected).toBeUndefined();
    expect(result.rejectedReason).toMatch(/below spec.curation.minScore 0.99/);
    expect(result.outputs).toEqual([]);
    expect(result.candidates).toHaveLength(2);
  });

  it("rejects what only the model can refuse, naming the field: a size, a model it lacks, too many steps", async () => {
    const size = await rejection(
      renderArtwork(ctx, testRequest({ width: 130 }), () => {}),
      RenderError,
    );
    expect(size.reason).toBe("UnsupportedSize");
    expect(size.message).toMatch(/^spec\.width: 130 /);

    const model = await rejection(
      renderArtwork(ctx, testRequest({ model: "sdxl" }), () => {}),
      RenderError,
    );
    expect(model.reason).toBe("ModelNotLoaded");
    expect(model.message).toMatch(/^spec\.model: "sdxl" is not loaded on this worker/);

    const steps = await rejection(
      renderArtwork(ctx, testRequest({ scheduler: "lcm", steps: 60 }), () => {}),
      RenderError,
    );
    expect(steps.reason).toBe("InvalidScheduler");
    expect(steps.message).toMatch(
      /spec\.steps must be an integer from 1 to 50 for the lcm scheduler, got 60/,
    );
  });

  it("stops between steps when aborted", async () => {
    const controller = new AbortController();
    let steps = 0;
    const error = await rejection(
      renderArtwork(
        ctx,
        testRequest({ steps: 10 }),
        () => {
          if (++steps === 2) controller.abort();
        },
        controller.signal,
      ),
      RenderError,
    );
    expect(error.reason).toBe("Aborted");
    expect(steps).toBe(2);
  });
});
