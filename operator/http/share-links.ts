// Share links: a caller who may get an Artwork asks for a link (POST …/share); the link's page
// (/share/<token>) and its preview image (/share/<token>/image) need no Kubernetes token, since
// the token's signature is the authorization, and it grants that one Artwork's selected image
// and prompt until it expires (operator/sharing/share-token.ts).
import express, { type Request, type Response, type Router } from "express";
import sharp from "sharp";
import { ARTWORK_DEFAULTS, type Artwork } from "../../crds/artwork.ts";
import type { OperatorContext } from "../context.ts";
import { renderMissingSharePage, renderSharePage } from "../sharing/share-page.ts";
import { signShareToken, verifyShareToken } from "../sharing/share-token.ts";
import type { CallerAccess } from "./caller-access.ts";
import { publicBase } from "./public-origin.ts";
import { readableArtwork } from "./readable-artwork.ts";

/** Open Graph's recommended preview width; a smaller render is not enlarged. */
const PREVIEW_WIDTH = 1200;
const PREVIEW_QUALITY = 85;

/** Only the page's own image (wherever --public-url puts it) and its inline style. */
function contentSecurityPolicy(imageOrigin: string): string {
  return [
    "default-src 'none'",
    `img-src 'self' ${imageOrigin}`,
    "style-src 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** What a valid link shows: its Artwork's selected candidate and the preview's size. */
interface Shared {
  art: Artwork;
  namespace: string;
  name: string;
  uri: string;
  sha256: string;
  width: number;
  height: number;
}

/** The selected image's size, and the preview's: at most PREVIEW_WIDTH wide, the same shape. */
function previewSize(art: Artwork): { width: number; height: number; scaled: boolean } {
  const width = art.status?.width ?? art.spec.width ?? PREVIEW_WIDTH;
  const height = art.status?.height ?? art.spec.height ?? PREVIEW_WIDTH;
  if (width <= PREVIEW_WIDTH) return { width, height, scaled: false };
  return {
    width: PREVIEW_WIDTH,
    height: Math.max(1, Math.round((height * PREVIEW_WIDTH) / width)),
    scaled: true,
  };
}

export function shareApiRouter(ctx: OperatorContext, access: CallerAccess, key: Buffer): Router {
  const router = express.Router();
  router.post("/namespaces/:namespace/artworks/:name/share", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace, name } = req.params;
    const art = await readableArtwork(ctx, access, user, res, namespace, name);
    if (!art) return;
    if (!art.status?.selected) {
      res.status(409).json({
        error: `Artwork "${name}" in namespace "${namespace}" has no selected image yet; share it once it has succeeded`,
      });
      return;
    }
    const { token, expires } = signShareToken(key, { namespace, name });
    const url = `${publicBase(req.headers, ctx.config.publicUrl)}/share/${token}`;
    ctx.log.info(
      { artwork: `${namespace}/${name}`, user: user.username, expires: expires.toISOString() },
      "share link made",
    );
    res.status(201).json({ url, expires: expires.toISOString() });
  });
  return router;
}

export function sharePagesRouter(ctx: OperatorContext, key: Buffer): Router {
  const router = express.Router();

  function shared(token: string): Shared | undefined {
    const link = verifyShareToken(key, token);
    if (!link) return undefined;
    const art = ctx.caches.artworks.get(link.namespace, link.name);
    const index = art?.status?.selected?.index;
    const candidate = art?.status?.candidates?.find((c) => c.index === index);
    if (!art || !candidate) return undefined;
    const { width, height } = previewSize(art);
    return { art, ...link, uri: candidate.uri, sha256: candidate.sha256, width, height };
  }

  function missing(res: Response) {
    res
      .status(404)
      .set("Cache-Control", "no-store")
      .set("Content-Security-Policy", contentSecurityPolicy("'self'"))
      .type("html")
      .send(renderMissingSharePage());
  }

  router.get("/share/:token", (req: Request<{ token: string }>, res) => {
    const link = shared(req.params.token);
    if (!link) return missing(res);
    const base = publicBase(req.headers, ctx.config.publicUrl);
    const pageUrl = `${base}/share/${req.params.token}`;
    const { art } = link;
    const mood = art.spec.mood ?? ARTWORK_DEFAULTS.mood;
    const model = art.status?.model ?? art.spec.model;
    res
      .set("Cache-Control", "public, max-age=300")
      .set("Content-Security-Policy", contentSecurityPolicy(new URL(base).origin))
      .set("Referrer-Policy", "no-referrer")
      .set("X-Content-Type-Options", "nosniff")
      .type("html")
      .send(
        renderSharePage({
          prompt: art.spec.prompt,
          description: `An artwork by Aria, an AI artist: ${mood} mood${model ? `, painted with ${model}` : ""}.`,
          pageUrl,
          imageUrl: `${pageUrl}/image`,
          imageWidth: link.width,
          imageHeight: link.height,
          galleryUrl: `${base}/#/${link.namespace}/${link.name}`,
        }),
      );
  });

  router.get("/share/:token/image", async (req: Request<{ token: string }>, res) => {
    const link = shared(req.params.token);
    if (!link) return missing(res);
    res.set("ETag", `"${link.sha256}-share"`);
    res.set("Cache-Control", "public, max-age=3600");
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    const png = await ctx.images.get(link.uri);
    const { scaled } = previewSize(link.art);
    const image = scaled ? sharp(png).resize(link.width, link.height, { fit: "fill" }) : sharp(png);
    const jpeg = await image.jpeg({ quality: PREVIEW_QUALITY, mozjpeg: true }).toBuffer();
    res.type("image/jpeg").set("X-Content-Type-Options", "nosniff").send(jpeg);
  });

  return router;
}
