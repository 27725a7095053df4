// The Artwork a caller named, once they may get it: the 403 and 404 answers of the routes that hand
// out one Artwork's images (exports, share links).
import type { Response } from "express";
import { GROUP } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { ReviewedUser } from "../../lib/kube/access-reviewer.ts";
import type { OperatorContext } from "../context.ts";
import type { CallerAccess } from "./caller-access.ts";

/** The Artwork from the informer cache, or undefined once 403 or 404 has been answered. */
export async function readableArtwork(
  ctx: OperatorContext,
  access: CallerAccess,
  user: ReviewedUser,
  res: Response,
  namespace: string,
  name: string,
): Promise<Artwork | undefined> {
  if (!(await access.mayArtworks(user, "get", namespace, name))) {
    res.status(403).json({
      error: `${user.username} may not get artworks.${GROUP} "${name}" in namespace "${namespace}"`,
    });
    return undefined;
  }
  const art = ctx.caches.artworks.get(namespace, name);
  if (!art) {
    res.status(404).json({ error: `Artwork "${name}" not found in namespace "${namespace}"` });
    return undefined;
  }
  return art;
}
