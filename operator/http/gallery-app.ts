// The gallery web app's files (built by Vite, gallery/): hashed assets are kept by browsers for a
// year; the page, the service worker and the manifest are checked on every visit, so a new
// operator version reaches installed apps at once. The app routes in the URL's fragment, so every
// page is index.html.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where the built app is: beside the operator's bundle in the image, dist/gallery in a checkout. */
export function defaultGalleryDir(): string {
  const candidates = [join(HERE, "gallery"), join(HERE, "..", "..", "dist", "gallery")];
  return candidates.find((d) => existsSync(join(d, "index.html"))) ?? candidates[1]!;
}

/** Only the app's own origin; images may be blob: URLs (previews) and data: (icons). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function galleryAppRouter(dir: string): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "same-origin");
    next();
  });
  router.use(
    "/assets",
    express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", fallthrough: false }),
  );
  router.use(
    express.static(dir, {
      setHeaders: (res) => res.set("Cache-Control", "no-cache"),
    }),
  );
  return router;
}
