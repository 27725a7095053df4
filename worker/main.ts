// aria-worker: `npm run worker -- --pool NAME --namespace NS`; `--help` lists the flags.
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import type { Level } from "pino";
import { MIN_WORKER_LEASE_SECONDS } from "../crds/worker-protocol.ts";
import { loadKubeConfig } from "../lib/kube/pooled-kube-config.ts";
import { createLogger } from "../lib/observability/logger.ts";
import { WorkerProcess } from "./worker-process.ts";

const HELP = `Usage: aria-worker --pool NAME [flags]

Flags:
  --pool NAME            ModelPool this worker serves (required) [env ARIA_POOL]
  --namespace NS         Namespace of the pool [env POD_NAMESPACE, default "default"]
  --id ID                Worker identity [env WORKER_ID, default hostname-pid]
  --port N               HTTP port for /healthz, /readyz, /metrics and previews [env ARIA_PORT, default 8080; 0 picks a free one]
  --bind-address ADDR    Address the HTTP server listens on [default 0.0.0.0]
  --storage-dir DIR      Where images are stored, content-addressed [env ARIA_STORAGE_DIR, default .aria/images]
  --min-free-mb N        The worker is not ready (takes no Artworks) with less free space than this under --storage-dir [default 512]
  --lease-seconds N      Heartbeat Lease duration, renewed every third of it; the operator presumes the worker dead when it sees no renewal for this long [default 15, at least 3]
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
      "bind-address": { type: "string" },
      "storage-dir": { type: "string" },
      "drain-seconds": { type: "string" },
      "min-free-mb": { type: "string" },
      "lease-seconds": { type: "string" },
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

const log = createLogger("aria-worker", (values["log-level"] ?? process.env.LOG_LEVEL ?? "info") as Level);
const kc = loadKubeConfig();
const worker = new WorkerProcess(
  kc,
  {
    pool,
    namespace: values.namespace ?? process.env.POD_NAMESPACE ?? "default",
    workerId: values.id ?? process.env.WORKER_ID ?? `${hostname()}-${process.pid}`,
    port: number("port", values.port ?? process.env.ARIA_PORT ?? "8080"),
    bindAddress: values["bind-address"] ?? "0.0.0.0",
    storageDir: values["storage-dir"] ?? process.env.ARIA_STORAGE_DIR ?? ".aria/images",
    drainSeconds: number("drain-seconds", values["drain-seconds"] ?? "60"),
    minFreeBytes: number("min-free-mb", values["min-free-mb"] ?? "512") * 1024 * 1024,
    leaseSeconds,
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
