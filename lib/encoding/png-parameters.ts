// How an image was made, in the PNG text chunks A1111-style readers know: written by the worker when it
// encodes, read back by the operator when it exports (so both processes share it, in lib/).
import { crc32 } from "node:zlib";
import text from "png-chunk-text";
import type { SchedulerName } from "../../crds/artwork.ts";

/** How an image was made, as written into its PNG so tools (and people) can reproduce it. */
export interface GenerationParameters {
  prompt: string;
  negativePrompt?: string;
  steps: number;
  scheduler: SchedulerName;
  guidanceScale: number;
  seed: number;
  width: number;
  height: number;
  model: string;
  /** The SDXL refiner that finished it, and the share of the schedule the model ran first. */
  refiner?: { model: string; switchAt: number };
}

/** AUTOMATIC1111's sampler names, which PNG-info readers (A1111, ComfyUI, Civitai) recognise. */
const SAMPLER_NAMES: Record<SchedulerName, string> = {
  euler: "Euler",
  "euler-ancestral": "Euler a",
  ddim: "DDIM",
  lcm: "LCM",
};

/** The `parameters` text in AUTOMATIC1111's layout: prompt, optional negative prompt, settings line. */
export function formatA1111Parameters(p: GenerationParameters): string {
  const lines = [p.prompt];
  // A1111 leaves the line out when there is no negative prompt; readers treat its absence as empty.
  if (p.negativePrompt) lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(
    [
      `Steps: ${p.steps}`,
      `Sampler: ${SAMPLER_NAMES[p.scheduler]}`,
      `CFG scale: ${p.guidanceScale}`,
      `Seed: ${p.seed}`,
      `Size: ${p.width}x${p.height}`,
      `Model: ${p.model}`,
      ...(p.refiner ? [`Refiner: ${p.refiner.model}`, `Refiner switch at: ${p.refiner.switchAt}`] : []),
    ].join(", "),
  );
  return lines.join("\n");
}

/**
 * Adds `parameters` (A1111 text) and `aria` (JSON) text chunks right after IHDR, where readers that
 * stop at the first IDAT still find them. Text that is not Latin-1 (most non-English prompts) goes
 * into an iTXt chunk, which carries UTF-8, as PIL and A1111 do; tEXt cannot hold it.
 */
export function embedPngText(png: Buffer, entries: Record<string, string>): Buffer {
  // Existing chunks are copied as they are (CRC included): only the new text chunks are encoded,
  // which keeps this a few memcpys even for a multi-megabyte image.
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for (const chunk of pngChunks(png)) {
    if (isTextChunk(chunk.name) && textKeyword(chunk.data) in entries) continue;
    parts.push(chunk.raw);
    if (chunk.name === "IHDR") {
      for (const [keyword, value] of Object.entries(entries)) {
        const encoded = encodeTextChunk(keyword, value);
        parts.push(rawChunk(encoded.name, encoded.data));
      }
    }
  }
  return Buffer.concat(parts);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface PngChunk {
  name: string;
  data: Buffer;
  /** Length, type, data and CRC as they appear in the file. */
  raw: Buffer;
}

function* pngChunks(png: Buffer): Generator<PngChunk> {
  if (png.length < 8 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG file");
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > png.length) throw new Error("truncated PNG chunk");
    const name = png.toString("latin1", offset + 4, offset + 8);
    yield { name, data: png.subarray(offset + 8, offset + 8 + length), raw: png.subarray(offset, end) };
    offset = end;
    if (name === "IEND") return;
  }
  throw new Error("PNG file has no IEND chunk");
}

function rawChunk(name: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(name, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** What a PNG says about how it was made. */
export interface PngParameters {
  parameters: string | undefined;
  aria: Record<string, unknown> | undefined;
}

export function readPngParameters(png: Buffer): PngParameters {
  const found: Record<string, string> = {};
  for (const chunk of pngChunks(png)) {
    if (chunk.name === "tEXt") {
      const { keyword, text: value } = text.decode(chunk.data);
      found[keyword] = value;
    } else if (chunk.name === "iTXt") {
      const decoded = decodeITxt(chunk.data);
      if (decoded) found[decoded.keyword] = decoded.value;
    }
  }
  return {
    parameters: found.parameters,
    aria: found.aria === undefined ? undefined : (JSON.parse(found.aria) as Record<string, unknown>),
  };
}

function isTextChunk(name: string): boolean {
  return name === "tEXt" || name === "iTXt" || name === "zTXt";
}

function textKeyword(data: Uint8Array): string {
  const end = data.indexOf(0);
  return Buffer.from(data.subarray(0, end < 0 ? data.length : end)).toString("latin1");
}

function encodeTextChunk(keyword: string, value: string): { name: string; data: Uint8Array } {
  // png-chunk-text rejects NUL, which cannot appear in tEXt or iTXt text either.
  if (isLatin1WithoutNul(value)) return text.encode(keyword, value);
  // iTXt: keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text.
  const data = Buffer.concat([
    Buffer.from(keyword, "latin1"),
    Buffer.from([0, 0, 0, 0, 0]),
    Buffer.from(value.replace(/\0/g, ""), "utf8"),
  ]);
  return { name: "iTXt", data };
}

function isLatin1WithoutNul(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code > 0xff) return false;
  }
  return true;
}

function decodeITxt(data: Uint8Array): { keyword: string; value: string } | undefined {
  const buf = Buffer.from(data);
  const keywordEnd = buf.indexOf(0);
  // Compressed iTXt is never written here; anything else Aria did not write is skipped.
  if (keywordEnd < 0 || buf[keywordEnd + 1] !== 0) return undefined;
  const languageEnd = buf.indexOf(0, keywordEnd + 3);
  const translatedEnd = buf.indexOf(0, languageEnd + 1);
  if (languageEnd < 0 || translatedEnd < 0) return undefined;
  return { keyword: buf.toString("latin1", 0, keywordEnd), value: buf.toString("utf8", translatedEnd + 1) };
}
