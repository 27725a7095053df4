// Reading an exported file back as its downloader's tools would: the size sharp decodes, the
// parameters in PNG text, XMP or EXIF, and an SVG through a strict XML parser. Free of vitest.
import exifReader from "exif-reader";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import sharp from "sharp";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";

export interface ExportedFacts {
  /** sharp's name for the format it decoded (AVIF reads as "heif"); "svg" for a traced SVG. */
  format: string;
  width: number;
  height: number;
  /** The A1111 parameters text: PNG tEXt/iTXt, XMP dc:description, SVG <desc>. */
  parameters: string | undefined;
  /** The prompt the file names as its title: XMP dc:title or SVG <title>. */
  title: string | undefined;
  /** EXIF ImageDescription and UserComment (character-set prefix removed), where the format has EXIF. */
  exif?: { imageDescription: string | undefined; userComment: string | undefined };
  /** An SVG's viewBox and how many filled paths it draws. */
  svg?: { viewBox: string | undefined; paths: number; fills: Set<string> };
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", trimValues: false });

/** The text of an XMP or RDF property: a plain value or the x-default of an rdf:Alt. */
function altText(node: unknown): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === "string") return node;
  const li = (node as { "rdf:Alt"?: { "rdf:li"?: unknown } })["rdf:Alt"]?.["rdf:li"];
  if (typeof li === "string") return li;
  return (li as { "#text"?: string } | undefined)?.["#text"];
}

function rdfDescription(doc: unknown): Record<string, unknown> | undefined {
  const root = doc as Record<string, Record<string, unknown>>;
  const rdf = (root["x:xmpmeta"]?.["rdf:RDF"] ?? root["rdf:RDF"]) as Record<string, unknown> | undefined;
  return rdf?.["rdf:Description"] as Record<string, unknown> | undefined;
}

function userComment(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  // EXIF UserComment: an 8-byte character code ("ASCII\0\0\0", "UNICODE\0") before the text.
  const bytes = Buffer.from(raw as Uint8Array);
  const code = bytes.toString("latin1", 0, 8).replace(/\0+$/, "");
  const body = bytes.subarray(8);
  return (code === "UNICODE" ? body.swap16().toString("utf16le") : body.toString("latin1")).replace(
    /\0+$/,
    "",
  );
}

export async function readExported(data: Buffer, contentType: string): Promise<ExportedFacts> {
  if (contentType.startsWith("image/svg+xml")) return readSvg(data.toString("utf8"));
  const meta = await sharp(data).metadata();
  const facts: ExportedFacts = {
    format: meta.format ?? "",
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    parameters: undefined,
    title: undefined,
  };
  if (meta.format === "png") {
    facts.parameters = readPngParameters(data).parameters;
    return facts;
  }
  if (meta.xmpAsString) {
    const description = rdfDescription(xml.parse(meta.xmpAsString));
    facts.parameters = altText(description?.["dc:description"]);
    facts.title = altText(description?.["dc:title"]);
  }
  if (meta.exif) {
    const exif = exifReader(meta.exif);
    facts.exif = {
      imageDescription: exif.Image?.ImageDescription,
      userComment: userComment(exif.Photo?.UserComment),
    };
  }
  return facts;
}

function readSvg(text: string): ExportedFacts {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`the SVG is not well-formed XML: ${JSON.stringify(valid.err)}`);
  const svg = (xml.parse(text) as { svg?: Record<string, unknown> }).svg;
  if (!svg) throw new Error("the document's root is not <svg>");
  const viewBox = svg["@viewBox"] as string | undefined;
  const [, , width, height] = (viewBox ?? "").split(/\s+/).map(Number);
  const paths = ([] as Array<Record<string, string>>).concat(
    (svg.path as Array<Record<string, string>> | Record<string, string> | undefined) ?? [],
  );
  return {
    format: "svg",
    width: width ?? 0,
    height: height ?? 0,
    parameters: svg.desc as string | undefined,
    title: svg.title as string | undefined,
    svg: { viewBox, paths: paths.length, fills: new Set(paths.map((p) => p["@fill"] ?? "")) },
  };
}
