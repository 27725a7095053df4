import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  embedPngText,
  formatA1111Parameters,
  readPngParameters,
  type GenerationParameters,
} from "./png-parameters.ts";

const PARAMS: GenerationParameters = {
  prompt: "a red fox in the snow",
  negativePrompt: "blurry",
  steps: 20,
  scheduler: "euler",
  guidanceScale: 5,
  seed: 42,
  width: 256,
  height: 256,
  model: "aria-painter",
};

const tinyPng = () =>
  sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 10, g: 20, b: 30 } } })
    .png()
    .toBuffer();

describe("formatA1111Parameters", () => {
  it("writes AUTOMATIC1111's layout", () => {
    expect(formatA1111Parameters(PARAMS)).toBe(
      "a red fox in the snow\nNegative prompt: blurry\n" +
        "Steps: 20, Sampler: Euler, CFG scale: 5, Seed: 42, Size: 256x256, Model: aria-painter",
    );
  });

  it("leaves out the negative prompt line when there is none and names samplers as A1111 does", () => {
    expect(
      formatA1111Parameters({
        ...PARAMS,
        negativePrompt: "",
        scheduler: "euler-ancestral",
        guidanceScale: 7.5,
      }),
    ).toBe(
      "a red fox in the snow\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 256x256, Model: aria-painter",
    );
  });
});

describe("embedPngText / readPngParameters", () => {
  it("round-trips Latin-1 text as tEXt and the image still decodes", async () => {
    const png = embedPngText(await tinyPng(), { parameters: "café\nSteps: 4", aria: '{"seed":1}' });
    expect(png.includes(Buffer.from("tEXtparameters"))).toBe(true);
    expect(readPngParameters(png)).toEqual({ parameters: "café\nSteps: 4", aria: { seed: 1 } });
    expect((await sharp(png).metadata()).width).toBe(4);
  });

  it("round-trips a non-Latin-1 prompt through iTXt", async () => {
    const prompt = "桜の下の猫 🐈, ночь";
    const png = embedPngText(await tinyPng(), { parameters: prompt, aria: JSON.stringify({ prompt }) });
    expect(png.includes(Buffer.from("iTXtparameters"))).toBe(true);
    expect(readPngParameters(png)).toEqual({ parameters: prompt, aria: { prompt } });
    expect((await sharp(png).metadata()).height).toBe(4);
  });

  it("replaces earlier chunks of the same name instead of duplicating them", async () => {
    const once = embedPngText(await tinyPng(), { parameters: "old" });
    const twice = embedPngText(once, { parameters: "new" });
    expect(readPngParameters(twice).parameters).toBe("new");
    expect(twice.toString("latin1").split("parameters").length - 1).toBe(1);
  });

  it("reads nothing from a PNG without parameters", async () => {
    expect(readPngParameters(await tinyPng())).toEqual({ parameters: undefined, aria: undefined });
  });
});
