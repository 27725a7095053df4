// Who calls the operator's HTTP API and what they may do with Artworks: one AccessReviewer (so one
// review cache) for every router under /api, and the 401 answers they all give. A request without
// a token to a namespace whose gallery is public (public-namespaces.ts) is an anonymous visitor:
// it may view there, and react where reactions are open too, and nothing else.
import type { IncomingMessage } from "node:http";
import type { Request, Response } from "express";
import { ARTWORK, GROUP } from "../../crds/api.ts";
import { bearerToken } from "../../lib/http/bearer-token.ts";
import { AccessReviewer, type ReviewedUser } from "../../lib/kube/access-reviewer.ts";
import type { OperatorContext } from "../context.ts";
import { ANONYMOUS, isAnonymous, PublicNamespaces } from "./public-namespaces.ts";

export class CallerAccess {
  readonly reviewer: AccessReviewer;
  readonly publicNamespaces: PublicNamespaces;

  constructor(ctx: OperatorContext) {
    this.reviewer = new AccessReviewer({
      kc: ctx.kc,
      audiences: ctx.config.tokenAudiences,
      ttlMs: ctx.config.authCacheTtlMs,
    });
    this.publicNamespaces = new PublicNamespaces(ctx.kc, ctx.config.authCacheTtlMs);
  }

  /**
   * The caller, or undefined once a 401 has been answered. `namespace`: where the request acts,
   * when a visitor without a token may be let in there.
   */
  async authenticate(req: Request, res: Response, namespace?: string): Promise<ReviewedUser | undefined> {
    const where = namespace ?? req.params.namespace;
    if (!callerToken(req) && typeof where === "string" && (await this.publicNamespaces.access(where)).view)
      return ANONYMOUS;
    return this.authenticateToken(req, res);
  }

  /** The caller by its token, never a visitor: for what always needs one (creating, deleting). */
  async authenticateToken(req: Request, res: Response): Promise<ReviewedUser | undefined> {
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

  /** Whether the caller may list `kind` (of aria.dev) in the namespace; answers 403 when not. */
  async mayList(user: ReviewedUser, res: Response, kind: { plural: string }, namespace: string) {
    const attrs = { group: GROUP, resource: kind.plural, verb: "list", namespace };
    if (await this.reviewer.allowed(user, attrs)) return true;
    res.status(403).json({
      error: `${user.username} may not list ${kind.plural}.${GROUP} in namespace "${namespace}"`,
    });
    return false;
  }

  /** Whether the caller may `verb` artworks (or the named one) in the namespace. */
  async mayArtworks(user: ReviewedUser, verb: string, namespace: string, name?: string) {
    if (isAnonymous(user)) {
      const open = await this.publicNamespaces.access(namespace);
      return verb === "get" || verb === "list" ? open.view : verb === "patch" && open.react;
    }
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
