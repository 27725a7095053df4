// Live previews for the gallery: the browser opens wss://<operator>/api/namespaces/<ns>/artworks/
// <name>/stream and the operator relays the stream of the worker that renders the Artwork, so a
// browser never needs to reach a worker. The caller is checked here (get on the Artwork) and its
// token goes on to the worker, which checks it again and caps streams per user. The worker is
// reached at the address its heartbeat Lease announces, its certificate pinned to the fingerprint
// announced with it, before any token is sent.
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { connect, type TLSSocket } from "node:tls";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { ARTWORK, GROUP } from "../../crds/api.ts";
import type { WorkerStreamEndpoint } from "../../crds/worker-protocol.ts";
import { BEARER_PROTOCOL_PREFIX } from "../../lib/http/bearer-token.ts";
import { refuseUpgrade } from "../../lib/http/refuse-upgrade.ts";
import { REVIEW_RETRY_AFTER_SECONDS, ReviewUnavailableError } from "../../lib/kube/access-reviewer.ts";
import type { OperatorContext } from "../context.ts";
import { callerToken, type CallerAccess } from "./caller-access.ts";

const RELAY_PATH = /^\/api\/namespaces\/([a-z0-9.-]+)\/artworks\/([a-z0-9.-]+)\/stream$/;
/** Relays open at once; each holds two sockets and the worker's frames in flight. */
const MAX_RELAYS = 256;
/** How long a stream opened for an Artwork still queued waits for a worker to take it. */
const BIND_WAIT_MS = 120_000;
const BIND_POLL_MS = 250;
/** The subprotocol the worker speaks (worker/http/stream-server.ts echoes the client's). */
const STREAM_PROTOCOL = "aria.stream.v1";

/** A TLS connection to the worker whose certificate has the announced fingerprint, or an error. */
function pinnedConnection(endpoint: WorkerStreamEndpoint): Promise<TLSSocket> {
  const url = new URL(endpoint.url);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port),
      // The pin below is the check: a self-signed certificate has no CA to verify it against.
      rejectUnauthorized: false,
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      if (socket.getPeerCertificate().fingerprint256 !== endpoint.certificateSha256) {
        socket.destroy();
        reject(
          new Error(`the worker at ${endpoint.url} did not present the certificate its Lease announces`),
        );
        return;
      }
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

export function attachPreviewRelay(server: Server, ctx: OperatorContext, access: CallerAccess) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    handleProtocols: (protocols) =>
      [...protocols].find((p) => !p.startsWith(BEARER_PROTOCOL_PREFIX)) ?? false,
  });
  let open = 0;

  /** The worker rendering the Artwork now, waited for while it is queued; undefined once it is done. */
  async function workerFor(namespace: string, name: string, client: WebSocket) {
    const deadline = Date.now() + BIND_WAIT_MS;
    while (client.readyState === client.OPEN && Date.now() < deadline) {
      const art = ctx.caches.artworks.get(namespace, name);
      const phase = art?.status?.phase;
      if (!art || phase === "Succeeded" || phase === "Failed") return undefined;
      const id = art.status?.worker;
      const stream = id ? ctx.workers.get(namespace, id)?.report?.stream : undefined;
      if (stream) return stream;
      await new Promise((r) => setTimeout(r, BIND_POLL_MS));
    }
    return undefined;
  }

  async function relay(client: WebSocket, namespace: string, name: string, token: string) {
    const endpoint = await workerFor(namespace, name, client);
    if (!endpoint) {
      client.close(1000, "done");
      return;
    }
    const socket = await pinnedConnection(endpoint);
    const bearer = `${BEARER_PROTOCOL_PREFIX}${Buffer.from(token).toString("base64url").replace(/=+$/, "")}`;
    const upstream = new WebSocket(
      `${endpoint.url}/artworks/${namespace}/${name}/stream`,
      [STREAM_PROTOCOL, bearer],
      {
        createConnection: () => socket,
      },
    );
    upstream.on("message", (data: RawData, isBinary) => {
      if (client.readyState === client.OPEN) client.send(data, { binary: isBinary });
    });
    upstream.on("close", (code, reason) => {
      // 1005/1006 are not sendable codes: the worker went away mid-render; the app reconnects.
      if (client.readyState === client.OPEN)
        client.close(code >= 1000 && code !== 1005 && code !== 1006 ? code : 1012, reason.toString());
    });
    upstream.on("unexpected-response", (_req, res) => {
      if (client.readyState === client.OPEN)
        client.close(1011, `the worker refused the stream (${res.statusCode})`);
      upstream.terminate();
    });
    upstream.on("error", () => client.close(1011, "the worker's stream failed"));
    client.on("close", () => upstream.close());
  }

  async function admit(req: IncomingMessage, socket: Duplex, head: Buffer) {
    const match = RELAY_PATH.exec(new URL(req.url ?? "/", "https://operator").pathname);
    if (!match)
      return refuseUpgrade(
        socket,
        404,
        "previews are streamed at /api/namespaces/<ns>/artworks/<name>/stream",
      );
    const [, namespace, name] = match as unknown as [string, string, string];
    if (open >= MAX_RELAYS) {
      return refuseUpgrade(socket, 503, `the operator relays at most ${MAX_RELAYS} preview streams; retry`, {
        "Retry-After": String(REVIEW_RETRY_AFTER_SECONDS),
      });
    }
    const token = callerToken(req);
    if (!token)
      return refuseUpgrade(
        socket,
        401,
        "a Kubernetes bearer token is required (Authorization: Bearer <token>)",
      );
    const user = await access.reviewer.authenticate(token);
    if (!user) return refuseUpgrade(socket, 401, "the bearer token was not accepted by the Kubernetes API");
    if (!(await access.mayArtworks(user, "get", namespace, name))) {
      return refuseUpgrade(
        socket,
        403,
        `${user.username} may not get ${ARTWORK.plural}.${GROUP} "${name}" in namespace "${namespace}"`,
      );
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      open++;
      client.once("close", () => open--);
      relay(client, namespace, name, token).catch((err: unknown) => {
        ctx.log.warn(
          { artwork: `${namespace}/${name}`, err: String(err) },
          "could not relay a preview stream",
        );
        if (client.readyState === client.OPEN) client.close(1011, "the worker's stream could not be reached");
      });
    });
  }

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    admit(req, socket, head).catch((err: unknown) => {
      if (err instanceof ReviewUnavailableError) {
        refuseUpgrade(socket, 503, "the Kubernetes API cannot check the caller's token now; retry", {
          "Retry-After": String(REVIEW_RETRY_AFTER_SECONDS),
        });
        return;
      }
      ctx.log.error({ err: String(err) }, "failed to open a preview stream");
      refuseUpgrade(socket, 500, "internal error");
    });
  });
}
