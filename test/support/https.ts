// Talking to the operator's and workers' HTTPS ports as a client would: the feedback API with a
// Kubernetes bearer token, preview streams over WebSocket. Free of vitest, like waits.ts.
import { request } from "node:https";
import WebSocket from "ws";
import type { Proc } from "../controlplane/aria-process.ts";

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** An answer whose body is kept as bytes (images, downloads, pages). */
export interface HttpsBytes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A request to the process's HTTPS port, trusting `ca`; status 0 (and the error as the body) when
 * nothing answers.
 */
export async function httpsBytes(
  proc: Pick<Proc, "securePort">,
  path: string,
  options: {
    ca: Buffer | string;
    method?: string;
    token?: string;
    body?: object;
    headers?: Record<string, string>;
  },
): Promise<HttpsBytes> {
  const port = await proc.securePort();
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? (payload === undefined ? "GET" : "POST"),
        ca: options.ca,
        headers: {
          ...(payload !== undefined ? { "Content-Type": "application/json" } : {}),
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => resolve({ status: 0, headers: {}, body: Buffer.from(String(err)) }));
    req.end(payload);
  });
}

/**
 * A JSON request to the process's HTTPS port, trusting `ca`; status 0 (and the error as the
 * body's `error`) when nothing answers.
 */
export async function httpsJson(
  proc: Pick<Proc, "securePort">,
  path: string,
  options: { ca: Buffer | string; method?: string; token?: string; body?: object },
): Promise<HttpsAnswer> {
  const res = await httpsBytes(proc, path, options);
  if (res.status === 0) return { ...res, body: { error: res.body.toString("utf8") } };
  const text = res.body.toString("utf8");
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { ...res, body };
}

/** What a preview stream sent: JSON messages, each with the binary frame that followed it. */
export interface StreamMessage {
  meta: Record<string, unknown>;
  data?: Buffer;
}

/** A preview stream a client opened, with everything it has received so far. */
export interface OpenStream {
  socket: WebSocket;
  messages: StreamMessage[];
  /** Resolves with the close code once the stream has ended, however it ended. */
  closed: Promise<number>;
}

/**
 * Opens the worker's preview stream of an Artwork. Rejects with `status` (the HTTP answer that
 * refused the upgrade) when the worker does not open it.
 */
export async function openStream(
  worker: Proc,
  namespace: string,
  name: string,
  options: { ca: Buffer | string; token?: string },
): Promise<OpenStream> {
  const port = await worker.securePort();
  const socket = new WebSocket(`wss://127.0.0.1:${port}/artworks/${namespace}/${name}/stream`, {
    ca: options.ca,
    ...(options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {}),
  });
  const messages: StreamMessage[] = [];
  socket.on("message", (data, isBinary) => {
    if (isBinary) {
      const last = messages.at(-1);
      if (last) last.data = data as Buffer;
    } else messages.push({ meta: JSON.parse(String(data)) as Record<string, unknown> });
  });
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_req, res) => {
      res.resume();
      reject(Object.assign(new Error(`stream refused with ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once("error", reject);
  });
  return { socket, messages, closed };
}
