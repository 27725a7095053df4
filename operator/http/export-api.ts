// Downloads of an Artwork in the format a person picks (PNG, WebP, AVIF, JPEG, a 4× TIFF, a traced
// SVG), made from the selected candidate's stored PNG (or candidate N's) with the operator's own
// access to the image store, the generation parameters embedded (operator/exports/). Authorized like
// the gallery's detail view: the caller must be allowed to get the Artwork.
import express, { type Router } from "express";
import { readPngParameters } from "../../lib/encoding/png-parameters.ts";
import type { OperatorContext } from "../context.ts";
import {
  EXPORT_FORMATS,
  exportImage,
  HEAVY_FORMATS,
  isExportFormat,
  type ExportFormat,
} from "../exports/export-image.ts";
import { badRequest as bad } from "./bad-request.ts";
import type { CallerAccess } from "./caller-access.ts";
import { ConcurrencyLimit } from "./concurrency-limit.ts";
import { readableArtwork } from "./readable-artwork.ts";

/**
 * AVIF, TIFF and SVG exports at once. Each holds seconds of CPU for a 1024² render (bench/exports.ts
 * on 2 cores: AVIF 3–4 s, the 4096² TIFF 1.4–2.7 s, the trace 3 s and 6 s for a noisy image) and,
 * for the TIFF, up to 110 MiB of pixels; two keep a core and the event loop free for everyone else.
 */
const HEAVY_EXPORTS = 2;
const BUSY_RETRY_AFTER_SECONDS = 5;
const CANDIDATE = /^(0|[1-9][0-9]{0,3})$/;

const noRelease = () => {};

export function exportRouter(ctx: OperatorContext, access: CallerAccess): Router {
  const router = express.Router();
  const heavy = new ConcurrencyLimit(HEAVY_EXPORTS);

  router.get("/namespaces/:namespace/artworks/:name/export", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace, name } = req.params;
    const { format, candidate } = req.query;
    if (typeof format !== "string" || !isExportFormat(format))
      return bad(res, "format", `format must be one of ${EXPORT_FORMATS.join(", ")}`);
    if (candidate !== undefined && (typeof candidate !== "string" || !CANDIDATE.test(candidate)))
      return bad(res, "candidate", "candidate must be a candidate's index, a whole number from 0");
    const index = candidate === undefined ? undefined : Number(candidate);
    const art = await readableArtwork(ctx, access, user, res, namespace, name);
    if (!art) return;
    const wanted = index ?? art.status?.selected?.index;
    const source = art.status?.candidates?.find((c) => c.index === wanted);
    if (!source) {
      res.status(404).json({
        error:
          index === undefined
            ? `Artwork "${name}" in namespace "${namespace}" has no selected image yet`
            : `Artwork "${name}" in namespace "${namespace}" has no candidate ${index}`,
        ...(index === undefined ? {} : { field: "candidate" }),
      });
      return;
    }
    const release = HEAVY_FORMATS.includes(format) ? heavy.tryAcquire() : noRelease;
    if (!release) {
      res
        .status(503)
        .set("Retry-After", String(BUSY_RETRY_AFTER_SECONDS))
        .json({
          error: `${heavy.slots} ${HEAVY_FORMATS.join("/")} exports are being made already; retry in ${BUSY_RETRY_AFTER_SECONDS} s`,
        });
      return;
    }
    try {
      // The store is content-addressed: the candidate's hash and the format name the file's bytes.
      res.set("ETag", `"${source.sha256}-${format}"`);
      res.set("Cache-Control", "private, no-cache");
      if (req.fresh) {
        res.status(304).end();
        return;
      }
      const abandoned = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) abandoned.abort();
      });
      const start = performance.now();
      const png = await ctx.images.get(source.uri);
      const text = { title: art.spec.prompt, parameters: readPngParameters(png).parameters };
      const out = await exportImage(png, format, text, abandoned.signal).catch((err: unknown) => {
        if (abandoned.signal.aborted) return undefined;
        throw err;
      });
      if (!out) return;
      res
        .type(out.mediaType)
        .set("Content-Disposition", `attachment; filename="${fileName(name, format, index)}"`)
        .send(out.data);
      ctx.log.info(
        {
          artwork: `${namespace}/${name}`,
          candidate: source.index,
          format,
          width: out.width,
          height: out.height,
          bytes: out.data.length,
          ms: Math.round(performance.now() - start),
          user: user.username,
        },
        "artwork exported",
      );
    } finally {
      release();
    }
  });

  return router;
}

/** Artwork names are DNS labels, so the name needs no quoting beyond the header's own quotes. */
function fileName(name: string, format: ExportFormat, candidate: number | undefined): string {
  return candidate === undefined ? `${name}.${format}` : `${name}-candidate-${candidate}.${format}`;
}
