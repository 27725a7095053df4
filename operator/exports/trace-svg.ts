// An Artwork as an SVG: traced into coloured filled paths by visioncortex VTracer (through
// @neplex/vectorizer, a Rust addon that traces on libuv's thread pool, off the event loop), given
// the image's viewBox so it scales to any size, and its prompt and parameters as <title>, <desc>
// and RDF <metadata>.
import sharp from "sharp";
import { escapeMarkup as x } from "../../lib/encoding/escape-markup.ts";
import { rdf, type ExportText } from "./image-metadata.ts";

/**
 * VTracer's poster preset: 8 bits per channel, stacked layers 16 levels apart, spline curves. On
 * the built-in model's soft gradients it keeps the picture (PSNR of the SVG rasterised back: 24.6
 * and 35.1 dB on a sunset and a forest at 512², in 0.2–0.6 s, 0.3–0.7 MB); the photo preset loses
 * the gradients to a few flat areas and leaves gaps (17.5 and 29.0 dB), and 6 bits per channel
 * collapse a sunset into one colour (11.9 dB).
 */
const TRACE = "Poster";

/**
 * Loaded on the first SVG export: a platform the addon has no binary for (it ships one per
 * platform as an optional package) should still serve everything else.
 */
const vectorizer = () => import("@neplex/vectorizer");

export interface TracedSvg {
  svg: Buffer;
  width: number;
  height: number;
}

export async function traceSvg(png: Buffer, text: ExportText, signal?: AbortSignal): Promise<TracedSvg> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  // The addon cannot stop a trace once asked: a request given up on is checked before it starts.
  signal?.throwIfAborted();
  const addon = await vectorizer();
  // Its typings declare Preset a const enum, which isolated modules cannot read; it is an object at run time.
  const preset = (addon as unknown as { Preset: Record<typeof TRACE, number> }).Preset[TRACE];
  const traced = await addon.vectorizeRaw(data, { width, height }, preset);
  const open = /<svg\b[^>]*>/.exec(traced);
  if (!open) throw new Error("the tracer returned no <svg> element");
  const tag = open[0].includes("viewBox")
    ? open[0]
    : open[0].replace(/>$/, ` viewBox="0 0 ${width} ${height}">`);
  const about = [
    `<title>${x(text.title)}</title>`,
    `<desc>${x(text.parameters ?? text.title)}</desc>`,
    `<metadata>${rdf(text)}</metadata>`,
  ].join("\n");
  const svg = `${traced.slice(0, open.index)}${tag}\n${about}${traced.slice(open.index + open[0].length)}`;
  return { svg: Buffer.from(svg, "utf8"), width, height };
}
