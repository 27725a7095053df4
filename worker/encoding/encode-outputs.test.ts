import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { RgbImage } from "../curation/rgb-image.ts";
import { encodeOutputs } from "./encode-outputs.ts";
import type { GenerationParameters } from "../../lib/encoding/png-parameters.ts";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";

const PARAMS: GenerationParameters = {
  prompt: "a blue lake at dawn",
  negativePrompt: "text",
  steps: 20,
  scheduler: "euler",
  guidanceScale: 5,
  seed: 42,
  width: 48,
  height: 32,
  model: "aria-painter",
};

function picture(width = 48, height = 32): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set([(x * 5) % 256, (y * 8) % 256, (x * y) % 256], (y * width + x) * 3);
    }
  }
  return { width, height, data };
}

const ALL = ["png", "webp", "avif", "jpeg", "tiff"] as const;
const SHARP_FORMAT = { png: "png", webp: "webp", avif: "heif", jpeg: "jpeg", tiff: "tiff" } as const;

describe("encodeOutputs", () => {
  it("writes every requested format, each decoding at the image's size", async () => {
    const outputs = await encodeOutputs(picture(), { formats: ALL, parameters: PARAMS });
    expect(outputs.map((o) => o.format)).toEqual([...ALL]);
    for (const o of outputs) {
      const meta = await sharp(o.data).metadata();
      expect(meta.format).toBe(SHARP_FORMAT[o.format]);
      expect([meta.width, meta.height, o.width, o.height]).toEqual([48, 32, 48, 32]);
    }
  });

  it("keeps the PNG lossless", async () => {
    const image = picture();
    const [png] = await encodeOutputs(image, { formats: ["png"], parameters: PARAMS });
    const decoded = await sharp(png!.data).removeAlpha().raw().toBuffer();
    expect(decoded.equals(Buffer.from(image.data))).toBe(true);
  });

  it("upscale 2 doubles both dimensions (and 4 quadruples them)", async () => {
    const [webp, png] = await encodeOutputs(picture(), {
      formats: ["webp", "png"],
      upscale: 2,
      parameters: PARAMS,
    });
    for (const o of [webp!, png!]) {
      expect([o.width, o.height]).toEqual([96, 64]);
      const meta = await sharp(o.data).metadata();
      expect([meta.width, meta.height]).toEqual([96, 64]);
    }
    const [x4] = await encodeOutputs(picture(), { formats: ["jpeg"], upscale: 4, parameters: PARAMS });
    expect((await sharp(x4!.data).metadata()).width).toBe(192);
  });

  it("embeds the generation parameters in the PNG (A1111 text plus aria JSON)", async () => {
    const [png] = await encodeOutputs(picture(), {
      formats: ["png"],
      upscale: 2,
      parameters: PARAMS,
      aria: { artwork: "default/lake" },
    });
    const read = readPngParameters(png!.data);
    expect(read.parameters).toBe(
      "a blue lake at dawn\nNegative prompt: text\n" +
        "Steps: 20, Sampler: Euler, CFG scale: 5, Seed: 42, Size: 48x32, Model: aria-painter",
    );
    expect(read.aria).toEqual({ artwork: "default/lake", ...PARAMS, upscale: 2 });
  });

  it("is deterministic: identical input gives identical bytes in every format", async () => {
    const a = await encodeOutputs(picture(), { formats: ALL, upscale: 2, parameters: PARAMS });
    const b = await encodeOutputs(picture(), { formats: ALL, upscale: 2, parameters: PARAMS });
    a.forEach((o, i) => expect(o.data.equals(b[i]!.data), o.format).toBe(true));
  });

  it("labels outputs with their media type", async () => {
    const outputs = await encodeOutputs(picture(), { formats: ["avif", "jpeg"], parameters: PARAMS });
    expect(outputs.map((o) => o.mediaType)).toEqual(["image/avif", "image/jpeg"]);
  });
});
