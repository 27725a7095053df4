import { writeFile } from "node:fs/promises";
import sharp from "sharp";
import { OUTPUT_FORMATS, type OutputFormat } from "../../crds/artwork.ts";
import { readStoredImage } from "../../lib/storage/read-stored-image.ts";
import type { AriaClient } from "../aria-client.ts";

export interface SaveOptions {
  output?: string;
  format?: string;
  candidate?: number;
  s3Endpoint?: string;
}

/**
 * `kubectl aria save NAME`: the selected image (or a candidate's PNG) read from where the worker
 * stored it, in the format asked for: as stored when the Artwork has it, converted here otherwise.
 */
export async function save(client: AriaClient, name: string, o: SaveOptions): Promise<void> {
  const format = (o.format ?? "png") as OutputFormat;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new Error(`--format must be one of ${OUTPUT_FORMATS.join(", ")}; got ${JSON.stringify(o.format)}`);
  }
  const art = await client.artwork(name);
  const s = art.status;
  let uri: string;
  let storedFormat: OutputFormat;
  if (o.candidate !== undefined) {
    const c = s?.candidates?.find((x) => x.index === o.candidate);
    if (!c) {
      throw new Error(
        `artwork "${name}" has no candidate ${o.candidate} (it has ${s?.candidates?.length ?? 0}); see them with: kubectl aria get ${name}`,
      );
    }
    uri = c.uri;
    storedFormat = "png";
  } else {
    if (!s?.selected) {
      throw new Error(
        `artwork "${name}" has no selected image yet (${s?.phase ?? "Pending"}); wait with: kubectl wait --for=condition=Ready artwork/${name}`,
      );
    }
    const image = s.selected.images.find((i) => i.format === format) ?? s.selected.images[0]!;
    uri = image.uri;
    storedFormat = image.format;
  }
  let bytes = await readStoredImage(uri, o.s3Endpoint ? { s3Endpoint: o.s3Endpoint } : {}).catch(
    (error: unknown) => {
      throw new Error(
        `cannot read ${uri}: ${(error as Error).message}${uri.startsWith("s3://") ? " (set AWS credentials and --s3-endpoint or AWS_ENDPOINT_URL)" : ""}`,
      );
    },
  );
  if (storedFormat !== format) bytes = await sharp(bytes).toFormat(format).toBuffer();
  const file =
    o.output ??
    `${name}${o.candidate !== undefined ? `-${o.candidate}` : ""}.${format === "jpeg" ? "jpg" : format}`;
  await writeFile(file, bytes);
  console.log(`saved ${file} (${bytes.length} bytes, ${format})`);
}
