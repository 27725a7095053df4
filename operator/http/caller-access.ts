// Who calls the operator's HTTP API and what they may do with Artworks: one AccessReviewer (so one
// review cache) for every router under /api, and the 401 answers they all give.
import type { Request, Response } from "express";
import { ARTWORK, GROUP } from "../../crds/api.ts";
import { bearerToken } from "../../lib/http/bearer-token.ts";
import { AccessReviewer, type ReviewedUser } from "../../lib/kube/access-reviewer.ts";
import type { OperatorContext } from "../context.ts";

export class CallerAccess {
  readonly reviewer: AccessReviewer;

  constructor(ctx: OperatorContext) {
    this.reviewer = new AccessReviewer({
      kc: ctx.kc,
      audiences: ctx.config.tokenAudiences,
      ttlMs: ctx.config.authCacheTtlMs,
    });
  }

  /** The caller, or undefined once a 401 has been answered. */
  async authenticate(req: Request, res: Response): Promise<ReviewedUser | undefined> {
    const token = bearerToken(req.headers);
    if (!token) {
      res
        .status(401)
        .json({ error: "a Kubernetes bearer token is required (Authorization: Bearer <token>)" });
      return undefined;
    }
    const user = await this.reviewer.authenticate(token);
    if (!user) {
      res.status(401).json({ error: "the bearer token was not accepted by the Kubernetes API" });
      return undefined;
    }
    return user;
  }

  /** Whether the caller may `verb` artworks (or the named one) in the namespace. */
  mayArtworks(user: ReviewedUser, verb: string, namespace: string, name?: string) {
    return this.reviewer.allowed(user, {
      group: GROUP,
      resource: ARTWORK.plural,
      verb,
      namespace,
      ...(name ? { name } : {}),
    });
  }
}
