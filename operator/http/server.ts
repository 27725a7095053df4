// The operator's HTTPS endpoint: the gallery web app and the feedback and gallery APIs, whose callers send
// Kubernetes bearer tokens.
// (Probes and metrics are on a plain port of their own: lib/http/probe-server.ts.)
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import express, { type NextFunction, type Request, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import type { ServingCertificate } from "../../lib/http/serving-certificate.ts";
import { REVIEW_RETRY_AFTER_SECONDS, ReviewUnavailableError } from "../../lib/kube/access-reviewer.ts";
import { isApiUnavailable } from "../../lib/kube/kube-errors.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import { callerToken } from "./caller-access.ts";

/** A gallery page of thumbnails is ~60 requests; a visitor browsing several pages a minute fits. */
const ANONYMOUS_REQUESTS_PER_MINUTE = 600;
const ANONYMOUS_REACTIONS_PER_MINUTE = 30;

export function createApiServer(options: {
  certificate: ServingCertificate;
  log: Logger;
  /** The routers under /api, in order. */
  api: express.Router[];
  /** Routers for what is not under /api (the gallery's pages and assets, share pages), in order. */
  pages?: express.Router[];
}): Server {
  const app = express();
  app.disable("x-powered-by");
  // Visitors without a token (public galleries) are limited per client address; callers with a
  // token are people the cluster knows, reviewed and limited by the API server's own fairness.
  const anonymous = (limit: number) =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      skip: (req) => callerToken(req) !== undefined,
      message: {
        error: `at most ${limit} requests a minute from one address without a token; retry after Retry-After seconds`,
      },
    });
  app.post("/api/feedback", anonymous(ANONYMOUS_REACTIONS_PER_MINUTE));
  app.use("/api", anonymous(ANONYMOUS_REQUESTS_PER_MINUTE), options.api);
  for (const router of options.pages ?? []) app.use(router);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: "not found" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ReviewUnavailableError) {
      options.log.warn(
        { err: err.message, path: req.path },
        "could not check a caller with the Kubernetes API",
      );
      res
        .status(503)
        .set("Retry-After", String(REVIEW_RETRY_AFTER_SECONDS))
        .json({ error: "the Kubernetes API cannot check the caller's token now; retry" });
      return;
    }
    if (isApiUnavailable(err)) {
      // The reaction was not written; the client's retry (same requestId) counts it once.
      options.log.warn({ err: String(err), path: req.path }, "could not reach the Kubernetes API");
      res
        .status(503)
        .set("Retry-After", String(REVIEW_RETRY_AFTER_SECONDS))
        .json({ error: "the Kubernetes API cannot be reached now; retry" });
      return;
    }
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    options.log.error({ err: String(err), path: req.path }, "request failed");
    res.status(500).json({ error: "internal error" });
  });
  return createHttpsServer({ cert: options.certificate.cert, key: options.certificate.key }, app);
}
