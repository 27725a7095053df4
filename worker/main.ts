// aria-worker: `npm run worker -- --pool NAME --namespace NS`; `--help` lists the flags.
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { Level } from "pino";
import { MIN_WORKER_LEASE_SECONDS } from "../crds/worker-protocol.ts";
import { loadKubeConfig } from "../lib/kube/pooled-kube-config.ts";
import { createLogger } from "../lib/observability/logger.ts";
import { defaultModelCache } from "./pipeline/model-sources.ts";
import { WorkerProcess } from "./worker-process.ts";

const HELP = `Usage: aria-worker --pool NAME [flags]

Flags:
  --pool NAME            ModelPool this worker serves (required) [env ARIA_POOL]
  --namespace NS         Namespace of the pool [env POD_NAMESPACE, default "default"]
  --id ID                Worker identity [env WORKER_ID, default hostname-pid]; env POD_UID makes its pod own its heartbeat Lease
  --port N               Plain HTTP port for /healthz, /readyz and /metrics [env ARIA_PORT, default 8080; 0 picks a free one]
  --secure-port N        HTTPS port for preview streams (callers send bearer tokens) [env ARIA_SECURE_PORT, default 8443; 0 picks a free one]
  --bind-address ADDR    Address both HTTP servers listen on [default 0.0.0.0]; previews are announced at env POD_IP, else this address (loopback when it is a wildcard)
  --tls-cert-file FILE   PEM certificate (chain) the HTTPS port serves, e.g. tls.crt of a mounted Secret [env ARIA_TLS_CERT_FILE, default: self-signed, made at start]
  --tls-private-key-file FILE  PEM private key of --tls-cert-file [env ARIA_TLS_PRIVATE_KEY_FILE]
  --token-audiences LIST Comma-separated audiences callers' tokens must be meant for [env ARIA_TOKEN_AUDIENCES, default: the API server's own]
  --auth-cache-ttl N     Seconds a token's or a permission's review is reused [default 10]
  --max-streams N        Preview streams open at once on this worker; more get 503 [default 100]
  --max-streams-per-client N  Preview streams one user may hold at once; more get 429 [default 8]
  --stream-idle-seconds N     A preview stream sent nothing for this long is closed [default 300]
  --stream-max-buffered-bytes N  Unsent bytes a preview stream may hold before it is dropped as too slow [default 8388608]
  --storage-dir DIR|URI  Where images are stored, content-addressed: a directory, or s3://bucket[/prefix] (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) [env ARIA_STORAGE_DIR, default .aria/images]
  --s3-endpoint URL      The S3-compatible server of an s3:// store, path-style (MinIO, Ceph, versitygw) [env ARIA_S3_ENDPOINT, default AWS S3]
  --min-free-mb N        The worker is not ready (takes no Artworks) with less free space than this under --storage-dir [default 512]
  --lease-seconds N      Heartbeat Lease duration, renewed every third of it; the operator presumes the worker dead when it sees no renewal for this long [default 15, at least 3]
  --model-cache DIR      Where URL and repo model sources are downloaded (a PVC or node path, so restarts find them) [env ARIA_MODEL_CACHE, default ~/.cache/aria/downloads]
  --download-stall-seconds N  A model download that receives nothing for this long is abandoned and resumed [default 60]
  --download-attempts N  Attempts per file before the model fails with the last reason [default 5]
  --drain-seconds N      On SIGTERM, how long running Artworks may finish before being handed back [default 60]
  --log-level LEVEL      trace, debug, info, warn or error [env LOG_LEVEL, default info]
  --help                 Show this help`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      pool: { type: "string" },
      namespace: { type: "string" },
      id: { type: "string" },
      port: { type: "string" },
      "secure-port": { type: "string" },
      "bind-address": { type: "string" },
      "tls-cert-file": { type: "string" },
      "tls-private-key-file": { type: "string" },
      "token-audiences": { type: "string" },
      "auth-cache-ttl": { type: "string" },
      "max-streams": { type: "string" },
      "max-streams-per-client": { type: "string" },
      "stream-idle-seconds": { type: "string" },
      "stream-max-buffered-bytes": { type: "string" },
      "storage-dir": { type: "string" },
      "s3-endpoint": { type: "string" },
      "drain-seconds": { type: "string" },
      "min-free-mb": { type: "string" },
      "lease-seconds": { type: "string" },
      "model-cache": { type: "string" },
      "download-stall-seconds": { type: "string" },
      "download-attempts": { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean" },
    },
  }));
} catch (err) {
  console.error(`aria-worker: ${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const pool = values.pool ?? process.env.ARIA_POOL;
if (!pool) {
  console.error(`aria-worker: --pool is required\n\n${HELP}`);
  process.exit(2);
}
const number = (flag: string, value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`aria-worker: --${flag} must be a whole number, got "${value}"`);
    process.exit(2);
  }
  return n;
};

const leaseSeconds = number("lease-seconds", values["lease-seconds"] ?? "15");
if (leaseSeconds < MIN_WORKER_LEASE_SECONDS) {
  console.error(
    `aria-worker: --lease-seconds must be at least ${MIN_WORKER_LEASE_SECONDS}, got ${leaseSeconds}`,
  );
  process.exit(2);
}

const positive = (flag: string, value: string) => {
  const n = number(flag, value);
  if (n === 0) {
    console.error(`aria-worker: --${flag} must be at least 1`);
    process.exit(2);
  }
  return n;
};
const tlsCertFile = values["tls-cert-file"] ?? process.env.ARIA_TLS_CERT_FILE;
const tlsPrivateKeyFile = values["tls-private-key-file"] ?? process.env.ARIA_TLS_PRIVATE_KEY_FILE;
if (Boolean(tlsCertFile) !== Boolean(tlsPrivateKeyFile)) {
  console.error("aria-worker: --tls-cert-file and --tls-private-key-file must be given together");
  process.exit(2);
}

const s3Endpoint = values["s3-endpoint"] ?? process.env.ARIA_S3_ENDPOINT;
const log = createLogger("aria-worker", (values["log-level"] ?? process.env.LOG_LEVEL ?? "info") as Level);
const kc = loadKubeConfig();
const worker = new WorkerProcess(
  kc,
  {
    pool,
    namespace: values.namespace ?? process.env.POD_NAMESPACE ?? "default",
    workerId: values.id ?? process.env.WORKER_ID ?? `${hostname()}-${process.pid}`,
    ...(process.env.POD_UID ? { podUid: process.env.POD_UID } : {}),
    port: number("port", values.port ?? process.env.ARIA_PORT ?? "8080"),
    securePort: number("secure-port", values["secure-port"] ?? process.env.ARIA_SECURE_PORT ?? "8443"),
    bindAddress: values["bind-address"] ?? "0.0.0.0",
    ...(process.env.POD_IP ? { advertiseAddress: process.env.POD_IP } : {}),
    ...(tlsCertFile && tlsPrivateKeyFile ? { tlsCertFile, tlsPrivateKeyFile } : {}),
    tokenAudiences: (values["token-audiences"] ?? process.env.ARIA_TOKEN_AUDIENCES ?? "")
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean),
    authCacheTtlMs: positive("auth-cache-ttl", values["auth-cache-ttl"] ?? "10") * 1000,
    streamCaps: {
      maxStreams: positive("max-streams", values["max-streams"] ?? "100"),
      maxStreamsPerClient: positive("max-streams-per-client", values["max-streams-per-client"] ?? "8"),
    },
    streamLimits: {
      idleMs: positive("stream-idle-seconds", values["stream-idle-seconds"] ?? "300") * 1000,
      maxBufferedBytes: positive(
        "stream-max-buffered-bytes",
        values["stream-max-buffered-bytes"] ?? String(8 * 1024 * 1024),
      ),
    },
    storageDir: values["storage-dir"] ?? process.env.ARIA_STORAGE_DIR ?? ".aria/images",
    ...(s3Endpoint ? { s3Endpoint } : {}),
    drainSeconds: number("drain-seconds", values["drain-seconds"] ?? "60"),
    minFreeBytes: number("min-free-mb", values["min-free-mb"] ?? "512") * 1024 * 1024,
    leaseSeconds,
    modelCacheDir: values["model-cache"] ?? process.env.ARIA_MODEL_CACHE ?? defaultModelCache(),
    downloadStallSeconds: positive("download-stall-seconds", values["download-stall-seconds"] ?? "60"),
    downloadAttempts: positive("download-attempts", values["download-attempts"] ?? "5"),
  },
  log.child({ pool }),
);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "received signal; draining");
    void worker.stop().then(() => process.exit(0));
  });
}

try {
  await worker.start();
} catch (err) {
  log.fatal({ err: String(err) }, "worker failed to start");
  process.exit(1);
}
