import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { embedPngText } from "../../lib/encoding/png-parameters.ts";
import { readExported } from "../../test/support/exported-files.ts";
import { EXPORT_FORMATS, exportImage, TIFF_UPSCALE } from "./export-image.ts";

const PROMPT = `a café at "night" <under> the stars & moon, 夜`;
const PARAMETERS = `${PROMPT}\nNegative prompt: blur\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Size: 48x32, Model: aria-painter`;
const TEXT = { title: PROMPT, parameters: PARAMETERS };

/** A 48×32 PNG of coloured quadrants, with its parameters as the worker writes them. */
async function candidatePng(): Promise<Buffer> {
  const width = 48;
  const height = 32;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? (y < height / 2 ? [220, 40, 40] : [40, 200, 60]) : [30, 60, 210];
      data.set(colour, (y * width + x) * 3);
    }
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return embedPngText(png, { parameters: PARAMETERS });
}

describe("exportImage", () => {
  it("gives every format at the candidate's size, TIFF enlarged four times", async () => {
    const png = await candidatePng();
    for (const format of EXPORT_FORMATS) {
      const out = await exportImage(png, format, TEXT);
      const facts = await readExported(out.data, out.mediaType);
      const scale = format === "tiff" ? TIFF_UPSCALE : 1;
      expect([facts.width, facts.height, out.width, out.height], format).toEqual([
        48 * scale,
        32 * scale,
        48 * scale,
        32 * scale,
      ]);
      expect(facts.format, format).toBe({ avif: "heif" }[format as string] ?? format);
    }
  });

  it("keeps the exact parameters, non-Latin prompt included, in PNG text, XMP and the SVG", async () => {
    const png = await candidatePng();
    for (const format of EXPORT_FORMATS) {
      const out = await exportImage(png, format, TEXT);
      const facts = await readExported(out.data, out.mediaType);
      expect(facts.parameters, format).toBe(PARAMETERS);
      if (format !== "png") expect(facts.title, format).toBe(PROMPT);
    }
  });

  it("writes EXIF ImageDescription and UserComment into JPEG, WebP and AVIF, as ASCII", async () => {
    const png = await candidatePng();
    for (const format of ["jpeg", "webp", "avif"] as const) {
      const facts = await readExported((await exportImage(png, format, TEXT)).data, "");
      // libvips writes EXIF strings as ASCII: 'é' becomes 'e', '夜' a '?'.
      expect(facts.exif?.imageDescription, format).toBe(`a cafe at "night" <under> the stars & moon, ?`);
      expect(facts.exif?.userComment, format).toContain("Steps: 20, Sampler: Euler, CFG scale: 7, Seed: 42");
    }
  });

  it("traces colour regions into filled paths of the image's own colours", async () => {
    const out = await exportImage(await candidatePng(), "svg", TEXT);
    const facts = await readExported(out.data, out.mediaType);
    expect(facts.svg?.viewBox).toBe("0 0 48 32");
    expect(facts.svg?.fills.size).toBeGreaterThanOrEqual(3);
    const fills = [...(facts.svg?.fills ?? [])].join(" ");
    // Red, green and blue quadrants stay red, green and blue (within VTracer's colour quantisation).
    for (const channel of [0, 1, 2]) {
      expect(
        [...(facts.svg?.fills ?? [])].some((f) => {
          const rgb = [1, 3, 5].map((i) => parseInt(f.slice(i, i + 2), 16));
          return rgb[channel]! > 150 && rgb.every((v, i) => i === channel || v < 100);
        }),
        fills,
      ).toBe(true);
    }
  });

  it("stops a trace whose download was abandoned", async () => {
    const abandoned = new AbortController();
    abandoned.abort();
    await expect(exportImage(await candidatePng(), "svg", TEXT, abandoned.signal)).rejects.toThrow();
  });
});
