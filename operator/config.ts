// Flags and environment variables, each with a default and listed in --help.
import { parseArgs } from "node:util";
import { BROWSER_PUSH_HOSTS } from "./push/subscription-input.ts";

export interface OperatorConfig {
  namespace: string | undefined;
  metricsPort: number;
  securePort: number;
  bindAddress: string;
  /** PEM files of the HTTPS certificate; both unset: a self-signed one is made at start. */
  tlsCertFile: string | undefined;
  tlsPrivateKeyFile: string | undefined;
  /** Audiences callers' tokens must be meant for (TokenReview); empty: the API server's own. */
  tokenAudiences: string[];
  authCacheTtlMs: number;
  logLevel: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  /** A directory on a shared volume, or s3://bucket[/prefix]. */
  storageDir: string;
  s3Endpoint?: string;
  /** Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY that worker pods of an s3:// store get. */
  s3CredentialsSecret?: string;
  workerImage: string;
  imagesClaim: string;
  concurrency: number;
  galleryDir: string | undefined;
  /** File holding the key share links are signed with (a mounted Secret); unset: a random one per start. */
  shareKeyFile: string | undefined;
  /** The gallery's public base URL, for the links it hands out; unset: taken from each request. */
  publicUrl: string | undefined;
  /** PEM EC P-256 private key Web Push notifications are signed with (VAPID); unset: push is off. */
  vapidKeyFile: string | undefined;
  /** Where push services may reach the sender (VAPID subject): a mailto: or https: URL. */
  vapidSubject: string;
  /** Hosts a push subscription's endpoint may be on. */
  pushEndpointHosts: string[];
}

const OPTIONS = {
  namespace: {
    env: "ARIA_NAMESPACE",
    default: "",
    help: "Only watch this namespace (default: all namespaces)",
  },
  port: {
    env: "ARIA_PORT",
    default: "8080",
    help: "Plain HTTP port for /metrics, /healthz and /readyz (no tokens travel there)",
  },
  "secure-port": {
    env: "ARIA_SECURE_PORT",
    default: "8443",
    help: "HTTPS port for the feedback API (callers send bearer tokens)",
  },
  "bind-address": {
    env: "ARIA_BIND_ADDRESS",
    default: "0.0.0.0",
    help: "Address both HTTP servers listen on",
  },
  "tls-cert-file": {
    env: "ARIA_TLS_CERT_FILE",
    default: "",
    help: "PEM certificate (chain) the HTTPS port serves, e.g. tls.crt of a mounted Secret (default: self-signed, made at start)",
  },
  "tls-private-key-file": {
    env: "ARIA_TLS_PRIVATE_KEY_FILE",
    default: "",
    help: "PEM private key of --tls-cert-file",
  },
  "token-audiences": {
    env: "ARIA_TOKEN_AUDIENCES",
    default: "",
    help: "Comma-separated audiences callers' tokens must be meant for (default: the API server's own)",
  },
  "auth-cache-ttl": {
    env: "ARIA_AUTH_CACHE_TTL_SECONDS",
    default: "10",
    help: "Seconds a token's or a permission's review is reused",
  },
  "log-level": { env: "LOG_LEVEL", default: "info", help: "trace, debug, info, warn or error" },
  "leader-elect": {
    env: "ARIA_LEADER_ELECT",
    default: "true",
    help: "Elect a leader so only one replica acts",
  },
  "leader-election-namespace": {
    env: "ARIA_LEADER_ELECTION_NAMESPACE",
    default: "",
    help: "Namespace of the election Lease (default: --namespace, the pod's namespace, or default)",
  },
  "leader-election-id": {
    env: "ARIA_LEADER_ELECTION_ID",
    default: "aria-operator",
    help: "Name of the election Lease",
  },
  "leader-election-lease-duration": {
    env: "ARIA_LEASE_DURATION_SECONDS",
    default: "15",
    help: "Seconds a standby waits for a silent leader",
  },
  "leader-election-renew-deadline": {
    env: "ARIA_RENEW_DEADLINE_SECONDS",
    default: "10",
    help: "Seconds the leader may fail to renew before it steps down",
  },
  "leader-election-retry-period": {
    env: "ARIA_RETRY_PERIOD_SECONDS",
    default: "2",
    help: "Seconds between election attempts",
  },
  identity: {
    env: "POD_NAME",
    default: "",
    help: "This replica's identity in the election (default: hostname-pid)",
  },
  "storage-dir": {
    env: "ARIA_STORAGE_DIR",
    default: ".aria/images",
    help: "Where workers store images: a directory on a shared volume, or s3://bucket[/prefix]; used to delete images with their Artwork",
  },
  "s3-endpoint": {
    env: "ARIA_S3_ENDPOINT",
    default: "",
    help: "The S3-compatible server of an s3:// store, path-style (default: AWS S3)",
  },
  "s3-credentials-secret": {
    env: "ARIA_S3_CREDENTIALS_SECRET",
    default: "",
    help: "Secret in each pool's namespace with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for workers of an s3:// store",
  },
  "worker-image": {
    env: "ARIA_WORKER_IMAGE",
    default: "ghcr.io/aria-dev/aria:0.1.0",
    help: "Default worker image of pools (cuda pools run its -cuda tag)",
  },
  "images-claim": {
    env: "ARIA_IMAGES_CLAIM",
    default: "aria-images",
    help: "PersistentVolumeClaim workers store images on",
  },
  concurrency: { env: "ARIA_CONCURRENCY", default: "4", help: "Artworks reconciled at once" },
  "gallery-dir": {
    env: "ARIA_GALLERY_DIR",
    default: "",
    help: "The built gallery web app served at / (default: the one beside the operator, dist/gallery in a checkout)",
  },
  "share-key-file": {
    env: "ARIA_SHARE_KEY_FILE",
    default: "",
    help: "File with the key (32+ bytes) share links are signed with, e.g. from a mounted Secret (default: random at start: links die with the process and differ between replicas)",
  },
  "public-url": {
    env: "ARIA_PUBLIC_URL",
    default: "",
    help: "The gallery's public base URL, e.g. https://aria.example.org, for share links (default: from each request's X-Forwarded-Proto/-Host or Host)",
  },
  "vapid-key-file": {
    env: "ARIA_VAPID_KEY_FILE",
    default: "",
    help: "PEM EC P-256 private key that signs the gallery's Web Push notifications (VAPID), e.g. from a mounted Secret (default: push off)",
  },
  "push-endpoint-hosts": {
    env: "ARIA_PUSH_ENDPOINT_HOSTS",
    default: BROWSER_PUSH_HOSTS.join(","),
    help: "Comma-separated hosts push subscriptions may name (*.domain for any under it); the operator POSTs nowhere else",
  },
  "vapid-subject": {
    env: "ARIA_VAPID_SUBJECT",
    default: "mailto:aria@localhost",
    help: "mailto: or https: URL push services may contact the sender at; Apple's refuses localhost, so set a real one",
  },
} as const;

type Name = keyof typeof OPTIONS;

export function usage(program: string) {
  const lines = Object.entries(OPTIONS).map(
    ([name, o]) => `  --${name.padEnd(28)} ${o.help} [env ${o.env}, default ${JSON.stringify(o.default)}]`,
  );
  return `Usage: ${program} [flags]\n\nFlags:\n${lines.join("\n")}\n  --help                         Show this help`;
}

export function parseConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  hostname: string,
): OperatorConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: "string" as const }])),
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const get = (name: Name) =>
    ((values as Record<string, unknown>)[name] as string | undefined) ??
    env[OPTIONS[name].env] ??
    OPTIONS[name].default;
  const int = (name: Name) => {
    const n = Number(get(name));
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a whole number, got "${get(name)}"`);
    return n;
  };
  const bool = (name: Name) => {
    const v = get(name).toLowerCase();
    if (v !== "true" && v !== "false") throw new Error(`--${name} must be true or false, got "${get(name)}"`);
    return v === "true";
  };
  const seconds = (name: Name) => {
    const n = Number(get(name));
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`--${name} must be a positive number of seconds, got "${get(name)}"`);
    return n * 1000;
  };
  const namespace = get("namespace") || undefined;
  return {
    namespace,
    metricsPort: int("port"),
    securePort: int("secure-port"),
    bindAddress: get("bind-address"),
    ...tlsFiles(get("tls-cert-file"), get("tls-private-key-file")),
    tokenAudiences: list(get("token-audiences")),
    authCacheTtlMs: seconds("auth-cache-ttl"),
    logLevel: get("log-level"),
    leaderElect: bool("leader-elect"),
    leaderElectionNamespace: get("leader-election-namespace") || namespace || env.POD_NAMESPACE || "default",
    leaderElectionId: get("leader-election-id"),
    leaseDurationMs: seconds("leader-election-lease-duration"),
    renewDeadlineMs: seconds("leader-election-renew-deadline"),
    retryPeriodMs: seconds("leader-election-retry-period"),
    identity: get("identity") || `${hostname}-${process.pid}`,
    storageDir: get("storage-dir"),
    ...(get("s3-endpoint") ? { s3Endpoint: get("s3-endpoint") } : {}),
    ...(get("s3-credentials-secret") ? { s3CredentialsSecret: get("s3-credentials-secret") } : {}),
    workerImage: get("worker-image"),
    imagesClaim: get("images-claim"),
    concurrency: Math.max(1, int("concurrency")),
    galleryDir: get("gallery-dir") || undefined,
    shareKeyFile: get("share-key-file") || undefined,
    publicUrl: publicUrl(get("public-url")),
    vapidKeyFile: get("vapid-key-file") || undefined,
    vapidSubject: vapidSubject(get("vapid-subject")),
    pushEndpointHosts: list(get("push-endpoint-hosts")),
  };
}

function tlsFiles(cert: string, key: string) {
  if (Boolean(cert) !== Boolean(key))
    throw new Error("--tls-cert-file and --tls-private-key-file must be given together");
  return { tlsCertFile: cert || undefined, tlsPrivateKeyFile: key || undefined };
}

function vapidSubject(value: string) {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "mailto:" && url?.protocol !== "https:")
    throw new Error(`--vapid-subject must be a mailto: or https: URL, got "${value}"`);
  return value;
}

function publicUrl(value: string) {
  if (!value) return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if ((url?.protocol !== "https:" && url?.protocol !== "http:") || url.search || url.hash)
    throw new Error(`--public-url must be an http(s) URL without query or fragment, got "${value}"`);
  return value.replace(/\/+$/, "");
}

function list(value: string) {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}
