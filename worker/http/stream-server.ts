// The worker's HTTPS endpoint: live previews of an Artwork over WebSocket at
// /artworks/<namespace>/<name>/stream. A stream opens only for a caller the Kubernetes API allows
// to get that Artwork, checked like the operator's feedback API (lib/kube/access-reviewer.ts):
// the caller's bearer token is reviewed here, at the worker, rather than exchanged for a ticket the
// operator signs, because that needs no signing key shared between operator replicas and workers,
// a revoked permission stops new streams within the cache TTL, and a client needs one request,
// not two. Sockets are capped in total (503) and per caller (429), so no client can hold them all.
import type { IncomingMessage, Server } from "node:http";
import { createServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { ARTWORK, GROUP } from "../../crds/api.ts";
import { BEARER_PROTOCOL_PREFIX, bearerToken } from "../../lib/http/bearer-token.ts";
import { refuseUpgrade } from "../../lib/http/refuse-upgrade.ts";
import type { ServingCertificate } from "../../lib/http/serving-certificate.ts";
import {
  REVIEW_RETRY_AFTER_SECONDS,
  ReviewUnavailableError,
  type AccessReviewer,
} from "../../lib/kube/access-reviewer.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import type { WorkerMetrics } from "../metrics.ts";
import type { PreviewHub } from "./preview-hub.ts";

const STREAM_PATH = /^\/artworks\/([a-z0-9.-]+)\/([a-z0-9.-]+)\/stream$/;
/** Clients only listen; a larger message from one is refused rather than buffered. */
const MAX_CLIENT_MESSAGE_BYTES = 4096;

export interface StreamCaps {
  /** Streams open (or being admitted) on this worker at most; beyond: 503. */
  maxStreams: number;
  /** Streams one caller (Kubernetes username) may hold at once; beyond: 429. */
  maxStreamsPerClient: number;
}

export function createStreamServer(options: {
  certificate: ServingCertificate;
  hub: PreviewHub;
  reviewer: AccessReviewer;
  /** The pool's namespace: the only one whose Artworks this worker renders. */
  namespace: string;
  caps: StreamCaps;
  metrics: Pick<WorkerMetrics, "streams" | "streamsRefused">;
  log: Logger;
}): Server {
  const { hub, reviewer, caps, metrics, log } = options;
  const server = createServer(
    { cert: options.certificate.cert, key: options.certificate.key },
    (_req, res) => {
      res.writeHead(404, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          error: "previews are WebSocket streams at /artworks/<namespace>/<name>/stream",
        }),
      );
    },
  );
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // Browsers send the token as a subprotocol, next to one they mean to speak; echo the latter.
    handleProtocols: (protocols) =>
      [...protocols].find((p) => !p.startsWith(BEARER_PROTOCOL_PREFIX)) ?? false,
  });
  let admitted = 0;
  const perClient = new Map<string, number>();

  function refuse(socket: Duplex, code: number, error: string, headers: Record<string, string> = {}) {
    metrics.streamsRefused.inc({ code: String(code) });
    refuseUpgrade(socket, code, error, headers);
  }

  async function admit(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const match = STREAM_PATH.exec(new URL(req.url ?? "/", "https://worker").pathname);
    if (!match) return refuse(socket, 404, "previews are streamed at /artworks/<namespace>/<name>/stream");
    const [, namespace, name] = match as unknown as [string, string, string];
    if (namespace !== options.namespace)
      return refuse(socket, 404, `this worker renders Artworks of namespace "${options.namespace}" only`);
    if (admitted >= caps.maxStreams) {
      return refuse(socket, 503, `this worker serves at most ${caps.maxStreams} preview streams; retry`, {
        "Retry-After": String(REVIEW_RETRY_AFTER_SECONDS),
      });
    }
    // The slot is held from here (the review takes time) until the connection is gone, however it ends.
    admitted++;
    const slot: { client?: string } = {};
    socket.once("close", () => {
      admitted--;
      if (slot.client === undefined) return;
      const left = (perClient.get(slot.client) ?? 1) - 1;
      if (left > 0) perClient.set(slot.client, left);
      else perClient.delete(slot.client);
    });

    const token = bearerToken(req.headers);
    if (!token) {
      return refuse(socket, 401, "a Kubernetes bearer token is required (Authorization: Bearer <token>)", {
        "WWW-Authenticate": "Bearer",
      });
    }
    const user = await reviewer.authenticate(token);
    if (!user) {
      return refuse(socket, 401, "the bearer token was not accepted by the Kubernetes API", {
        "WWW-Authenticate": "Bearer",
      });
    }
    const attrs = { group: GROUP, resource: ARTWORK.plural, verb: "get", namespace, name };
    if (!(await reviewer.allowed(user, attrs))) {
      return refuse(
        socket,
        403,
        `${user.username} may not get ${ARTWORK.plural}.${GROUP} "${name}" in namespace "${namespace}"`,
      );
    }
    const who = user.username ?? "";
    if ((perClient.get(who) ?? 0) >= caps.maxStreamsPerClient) {
      return refuse(
        socket,
        429,
        `${who} already holds ${caps.maxStreamsPerClient} preview streams on this worker; close one first`,
        { "Retry-After": String(REVIEW_RETRY_AFTER_SECONDS) },
      );
    }
    slot.client = who;
    perClient.set(who, (perClient.get(who) ?? 0) + 1);
    wss.handleUpgrade(req, socket, head, (ws) => {
      metrics.streams.inc();
      ws.once("close", () => metrics.streams.dec());
      hub.subscribe(`${namespace}/${name}`, ws);
      log.debug({ artwork: `${namespace}/${name}`, user: who }, "opened a preview stream");
    });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node leaves an upgrading socket without an error listener: a client resetting it mid-review
    // would otherwise crash the worker.
    socket.on("error", () => socket.destroy());
    admit(req, socket, head).catch((err: unknown) => {
      if (err instanceof ReviewUnavailableError) {
        log.warn({ err: err.message }, "could not check a preview stream's caller with the Kubernetes API");
        refuse(socket, 503, "the Kubernetes API cannot check the caller's token now; retry", {
          "Retry-After": String(REVIEW_RETRY_AFTER_SECONDS),
        });
        return;
      }
      log.error({ err: String(err) }, "failed to open a preview stream");
      refuse(socket, 500, "internal error");
    });
  });
  return server;
}
