import sharp from "sharp";
import { ARTWORK_DEFAULTS, type OutputFormat } from "../../crds/artwork.ts";
import { ENCODERS, MEDIA_TYPES } from "../../lib/encoding/output-encoders.ts";
import { assertRgbImage, type RgbImage } from "../curation/rgb-image.ts";
import {
  embedPngText,
  formatA1111Parameters,
  type GenerationParameters,
} from "../../lib/encoding/png-parameters.ts";

export interface EncodedImage {
  format: OutputFormat;
  data: Buffer;
  width: number;
  height: number;
  /** Content-Type for serving it. */
  mediaType: string;
}

export interface EncodeOptions {
  /** spec.output.formats. */
  formats: readonly OutputFormat[];
  /** spec.output.upscale: an integer factor (the schema bounds it). */
  upscale?: number;
  parameters: GenerationParameters;
  /** Extra facts for the PNG's `aria` chunk (artwork name, scores, …). */
  aria?: Record<string, unknown>;
  /** The same pixels already encoded as PNG at upscale 1 (a candidate's file): only its text is rewritten. */
  png?: Buffer;
}

/**
 * Encodes the selected image in each requested format, upscaled with Lanczos-3. Deterministic:
 * the same pixels and parameters give byte-identical files (so content-addressed storage dedupes).
 */
export async function encodeOutputs(image: RgbImage, options: EncodeOptions): Promise<EncodedImage[]> {
  assertRgbImage(image);
  const upscale = options.upscale ?? ARTWORK_DEFAULTS.upscale;
  const width = image.width * upscale;
  const height = image.height * upscale;
  const raw = { width: image.width, height: image.height, channels: 3 as const };
  const pixels =
    upscale === 1
      ? Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
      : await sharp(image.data, { raw })
          .resize(width, height, { kernel: "lanczos3", fit: "fill" })
          .raw()
          .toBuffer();
  const source = () => sharp(pixels, { raw: { width, height, channels: 3 } });
  const text = {
    parameters: formatA1111Parameters(options.parameters),
    aria: JSON.stringify({ ...options.aria, ...options.parameters, upscale }),
  };
  return Promise.all(
    [...new Set(options.formats)].map(async (format) => {
      const reuse = format === "png" && upscale === 1 ? options.png : undefined;
      const encoded: Buffer = reuse ?? (await ENCODERS[format](source()).toBuffer());
      const data = format === "png" ? embedPngText(encoded, text) : encoded;
      return { format, data, width, height, mediaType: MEDIA_TYPES[format] };
    }),
  );
}
