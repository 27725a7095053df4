// How Aria encodes a finished image in each output format: the worker's stored outputs and the
// operator's exports use the same settings, so a download matches what the Artwork stored.
import type { Sharp } from "sharp";
import type { OutputFormat } from "../../crds/artwork.ts";

/** Content-Type for serving each format. */
export const MEDIA_TYPES: Record<OutputFormat, string> = {
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  jpeg: "image/jpeg",
  tiff: "image/tiff",
};

// Quality settings pick "visually lossless" for the lossy formats: these are finished artworks,
// not thumbnails. TIFF is for archiving, so it stays lossless. PNG uses zlib level 2 with adaptive
// row filters: at 512² it is faster than level 9 without filters and the files are about 40% smaller
// (level 9 with filters is ten times slower for 5% less).
export const ENCODERS: Record<OutputFormat, (s: Sharp) => Sharp> = {
  png: (s) => s.png({ compressionLevel: 2, adaptiveFiltering: true }),
  webp: (s) => s.webp({ quality: 90 }),
  avif: (s) => s.avif({ quality: 70 }),
  jpeg: (s) => s.jpeg({ quality: 92, chromaSubsampling: "4:4:4" }),
  tiff: (s) => s.tiff({ compression: "deflate" }),
};
