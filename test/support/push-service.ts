// A Web Push service on loopback, as a browser vendor runs one: HTTPS (the tests' serving
// certificate, which the operator trusts through NODE_EXTRA_CA_CERTS), every request it receives
// kept, each endpoint answering what a test sets. And the browser side: a subscription made the
// way a browser makes one (its own ECDH P-256 key pair and 16-byte auth secret), and decrypting
// the aes128gcm messages (RFC 8291) sent to it with http_ece, the reference implementation.
import { createECDH, createPublicKey, randomBytes, verify, type ECDH } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import ece from "http_ece";

export interface PushRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface PushService {
  /** https://127.0.0.1:<port>, the origin a VAPID token must be meant for. */
  origin: string;
  /** Requests each path has received, oldest first. */
  received: (path: string) => PushRequest[];
  /** What `path` answers from now on; each request takes the next status, the last one repeats. */
  answer: (path: string, ...statuses: number[]) => void;
  close: () => Promise<void>;
}

export async function startPushService(tls: { certFile: string; keyFile: string }): Promise<PushService> {
  const requests = new Map<string, PushRequest[]>();
  const answers = new Map<string, number[]>();
  const server: Server = createServer(
    { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const path = req.url ?? "/";
        const list = requests.get(path) ?? [];
        list.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
        requests.set(path, list);
        const queue = answers.get(path) ?? [201];
        const status = queue.length > 1 ? queue.shift()! : queue[0]!;
        res.writeHead(status, { "Content-Type": "text/plain" }).end(status === 201 ? "" : "not delivered");
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    received: (path) => requests.get(path) ?? [],
    answer: (path, ...statuses) => answers.set(path, statuses),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser's PushSubscription for one endpoint, and what only the browser knows. */
export interface TestBrowser {
  subscription: { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
  /** The plaintext of a message sent to this subscription. */
  decrypt: (body: Buffer) => string;
}

export function testBrowser(endpoint: string): TestBrowser {
  const ecdh: ECDH = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16).toString("base64url");
  return {
    subscription: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey("base64url"), auth } },
    decrypt: (body) =>
      ece.decrypt(body, { version: "aes128gcm", privateKey: ecdh, authSecret: auth }).toString(),
  };
}

/** What a push request's `Authorization: vapid t=<JWT>, k=<public key>` says, its signature checked. */
export function readVapid(authorization: string | string[] | undefined) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(authorization));
  if (!m) throw new Error(`not a VAPID Authorization header: ${String(authorization)}`);
  const [, jwt, k] = m as unknown as [string, string, string];
  const [header, payload, signature] = jwt.split(".") as [string, string, string];
  const point = Buffer.from(k, "base64url");
  const key = createPublicKey({
    format: "jwk",
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url"),
    },
  });
  const signed = verify(
    "sha256",
    Buffer.from(`${header}.${payload}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  return {
    publicKey: k,
    signed,
    header: JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(payload, "base64url").toString()) as {
      aud: string;
      sub: string;
      exp: number;
    },
  };
}
