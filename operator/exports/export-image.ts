// One candidate's PNG as a download in the format a person asked for, with its generation
// parameters embedded where the format has room (image-metadata.ts).
import sharp from "sharp";
import { OUTPUT_FORMATS } from "../../crds/artwork.ts";
import { ENCODERS, MEDIA_TYPES } from "../../lib/encoding/output-encoders.ts";
import { exifTags, xmpPacket, type ExportText } from "./image-metadata.ts";
import { traceSvg } from "./trace-svg.ts";

export const EXPORT_FORMATS = [...OUTPUT_FORMATS, "svg"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

/**
 * TIFF is the print master, enlarged 4× with Lanczos-3: a 512² render becomes 2048², 17 cm wide at
 * 300 dpi (an A5 print), and SDXL's 1024² becomes 4096² (A3). Four is also the factor the usual
 * super-resolution upscalers (Real-ESRGAN ×4) offer, so people compare like with like; more would
 * only interpolate further. The largest size admission allows (1536²) gives 6144², about 110 MiB of
 * pixels, which is why these exports are few at a time (export-api.ts).
 */
export const TIFF_UPSCALE = 4;

/**
 * The formats that cost seconds of CPU, and so are rationed: the enlargement, the trace, and AVIF,
 * whose AV1 encoder is the slowest of all at 1024² (bench/exports.ts).
 */
export const HEAVY_FORMATS: readonly ExportFormat[] = ["avif", "tiff", "svg"];

export interface ExportedImage {
  data: Buffer;
  mediaType: string;
  width: number;
  height: number;
}

export async function exportImage(
  png: Buffer,
  format: ExportFormat,
  text: ExportText,
  signal?: AbortSignal,
): Promise<ExportedImage> {
  if (format === "svg") {
    const { svg, width, height } = await traceSvg(png, text, signal);
    return { data: svg, mediaType: "image/svg+xml", width, height };
  }
  const { width = 0, height = 0 } = await sharp(png).metadata();
  // The worker wrote the PNG with its parameters in tEXt/iTXt: as stored, it is the export.
  if (format === "png") return { data: png, mediaType: MEDIA_TYPES.png, width, height };
  const scale = format === "tiff" ? TIFF_UPSCALE : 1;
  let image = sharp(png);
  if (scale > 1) {
    image = image.resize(width * scale, height * scale, { kernel: "lanczos3", fit: "fill" });
  }
  image = ENCODERS[format](image).withXmp(xmpPacket(text));
  // libvips writes no EXIF into TIFF (sharp's keepExif/withExif say so); its XMP carries the text.
  if (format !== "tiff") image = image.withExif(exifTags(text));
  const data = await image.toBuffer();
  return { data, mediaType: MEDIA_TYPES[format], width: width * scale, height: height * scale };
}
