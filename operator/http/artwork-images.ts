// An Artwork's images for the gallery: a candidate's PNG as stored, or a WebP thumbnail of it made
// once per content hash (the store is content-addressed, so a hash names the same bytes forever)
// and kept in a size-capped cache. URLs carry the hash, so browsers and the service worker may keep
// an answer as immutable.
import express, { type Router } from "express";
import { LRUCache } from "lru-cache";
import sharp from "sharp";
import { GROUP } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { OperatorContext } from "../context.ts";
import { badRequest as bad } from "./bad-request.ts";
import type { CallerAccess } from "./caller-access.ts";

/** Widths a thumbnail is made at: the grid's two densities and the detail view's. */
export const THUMBNAIL_WIDTHS = [256, 384, 768] as const;
const THUMBNAIL_CACHE_BYTES = 64 * 1024 * 1024;
const IMMUTABLE = "private, max-age=31536000, immutable";

/** The content hash a stored image's URI ends in (<xx>/<sha256>.<ext>). */
export function contentHash(uri: string): string {
  return (uri.split("/").pop() ?? "").split(".")[0] ?? "";
}

/** The gallery's URL of candidate `index` of an Artwork, a thumbnail when `width` is given. */
export function imagePath(art: Artwork, index: number, width?: number): string | undefined {
  const uri = art.status?.candidates?.find((c) => c.index === index)?.uri;
  if (!uri) return undefined;
  const base = `/api/namespaces/${art.metadata.namespace}/artworks/${art.metadata.name}/images/${index}`;
  const v = contentHash(uri).slice(0, 16);
  return width ? `${base}?w=${width}&v=${v}` : `${base}?v=${v}`;
}

export function artworkImagesRouter(ctx: OperatorContext, access: CallerAccess): Router {
  const router = express.Router();
  const thumbnails = new LRUCache<string, Buffer>({
    maxSize: THUMBNAIL_CACHE_BYTES,
    sizeCalculation: (b) => b.length,
  });
  // Requests for one thumbnail that arrive while it is being made share the one resize.
  const making = new Map<string, Promise<Buffer>>();

  async function thumbnail(uri: string, width: number): Promise<Buffer> {
    const key = `${contentHash(uri)}/${width}`;
    const cached = thumbnails.get(key);
    if (cached) return cached;
    let pending = making.get(key);
    if (!pending) {
      pending = ctx.images
        .get(uri)
        .then((png) =>
          sharp(png).resize({ width, withoutEnlargement: true }).webp({ quality: 80 }).toBuffer(),
        )
        .then((webp) => {
          thumbnails.set(key, webp);
          return webp;
        })
        .finally(() => making.delete(key));
      making.set(key, pending);
    }
    return pending;
  }

  router.get("/namespaces/:namespace/artworks/:name/images/:index", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace, name } = req.params;
    const index = Number(req.params.index);
    if (!Number.isInteger(index) || index < 0) return bad(res, "index", "index must be a candidate's index");
    const w = req.query.w;
    const width = w === undefined ? undefined : Number(w);
    if (width !== undefined && !(THUMBNAIL_WIDTHS as readonly number[]).includes(width))
      return bad(res, "w", `w must be one of ${THUMBNAIL_WIDTHS.join(", ")}`);
    if (!(await access.mayArtworks(user, "get", namespace, name))) {
      res.status(403).json({
        error: `${user.username} may not get artworks.${GROUP} "${name}" in namespace "${namespace}"`,
      });
      return;
    }
    const art = ctx.caches.artworks.get(namespace, name);
    const uri = art?.status?.candidates?.find((c) => c.index === index)?.uri;
    if (!art || !uri) {
      res.status(404).json({ error: `Artwork "${name}" in namespace "${namespace}" has no image ${index}` });
      return;
    }
    const hash = contentHash(uri);
    res.set("ETag", `"${hash}${width ? `-${width}` : ""}"`);
    // A URL naming this hash never changes; one without it follows the Artwork.
    res.set("Cache-Control", req.query.v === hash.slice(0, 16) ? IMMUTABLE : "private, no-cache");
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    const bytes = width ? await thumbnail(uri, width) : await ctx.images.get(uri);
    res.type(width ? "image/webp" : "image/png").send(bytes);
  });

  return router;
}
