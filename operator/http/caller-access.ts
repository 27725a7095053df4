// Who calls the operator's HTTP API and what they may do with Artworks: one AccessReviewer (so one
// review cache) for every router under /api, and the 401 answers they all give.
import type { IncomingMessage } from "node:http";
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
    const token = callerToken(req);
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

/** The cookie the gallery keeps a token entered in the app in, for the requests it cannot add a header to (images). */
export const TOKEN_COOKIE = "aria-token";

/**
 * The caller's token: an Authorization header or WebSocket subprotocol, an authenticating proxy's
 * X-Forwarded-Access-Token (oauth2-proxy's --pass-access-token), or, for reads only, the gallery's
 * cookie: <img> and WebSocket requests cannot carry a header, and a cookie never authorizes a
 * write, so a page elsewhere cannot make a visitor's browser react or create (CSRF).
 */
export function callerToken(req: IncomingMessage): string | undefined {
  const header = bearerToken(req.headers);
  if (header) return header;
  const forwarded = req.headers["x-forwarded-access-token"];
  if (typeof forwarded === "string" && forwarded.trim()) return forwarded.trim();
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === TOKEN_COOKIE && value.length) return decodeURIComponent(value.join("=")) || undefined;
  }
  return undefined;
}
