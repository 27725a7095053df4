// The generation parameters an exported file carries where its format has room: XMP (every
// format but PNG, exact UTF-8), EXIF (JPEG, WebP, AVIF: what A1111-style readers such as Civitai
// look at) and, in an SVG, its <title>, <desc> and <metadata>. A PNG keeps the worker's own tEXt.
import type { Exif } from "sharp";
import { escapeMarkup as x } from "../../lib/encoding/escape-markup.ts";

/** What an export says about itself. */
export interface ExportText {
  /** The prompt. */
  title: string;
  /** The A1111 `parameters` text (prompt, negative prompt, settings line), when the image had one. */
  parameters: string | undefined;
}

const RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/** `Alt` is the XMP array of one text per language; x-default is the one readers show. */
const alt = (text: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${x(text)}</rdf:li></rdf:Alt>`;

/** An RDF description in the Dublin Core, XMP and EXIF schemas, the way Lightroom and exiftool write them. */
export function rdf(text: ExportText): string {
  const description = text.parameters ?? text.title;
  return [
    `<rdf:RDF xmlns:rdf="${RDF}">`,
    `<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/">`,
    `<dc:title>${alt(text.title)}</dc:title>`,
    `<dc:description>${alt(description)}</dc:description>`,
    `<exif:UserComment>${alt(description)}</exif:UserComment>`,
    `<xmp:CreatorTool>Aria</xmp:CreatorTool>`,
    `</rdf:Description>`,
    `</rdf:RDF>`,
  ].join("");
}

/** A complete XMP packet for sharp's withXmp. */
export function xmpPacket(text: ExportText): string {
  return [
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>`,
    `<x:xmpmeta xmlns:x="adobe:ns:meta/">${rdf(text)}</x:xmpmeta>`,
    `<?xpacket end="w"?>`,
  ].join("");
}

/**
 * EXIF ImageDescription (the prompt) and UserComment (the parameters, where A1111 puts them in its
 * JPEG and WebP files). libvips writes EXIF strings as ASCII and turns other characters into
 * look-alikes or '?': the XMP beside them keeps the exact text.
 */
export function exifTags(text: ExportText): Exif {
  return {
    IFD0: { ImageDescription: text.title, Software: "Aria" },
    IFD2: { UserComment: text.parameters ?? text.title },
  };
}
