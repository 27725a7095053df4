// The contract between the operator and worker processes (see docs/worker-protocol.md).
import { FEEDBACK_ACTIONS } from "./learning-state.ts";
import type { ModelLoadState, ModelRole } from "./model-pool.ts";
import { Type, type Static } from "./schema.ts";

/** Label on Artworks naming the worker an attempt is bound to; workers watch with this selector. */
export const WORKER_LABEL = "aria.dev/worker";
/** Label on worker Leases and pods naming their pool. */
export const POOL_LABEL = "aria.dev/pool";
/** Label on worker Leases, so the operator can list them apart from its own election Lease. */
export const COMPONENT_LABEL = "app.kubernetes.io/component";
export const WORKER_COMPONENT = "aria-worker";
/** Annotation on a worker Lease carrying WorkerReport as JSON. */
export const WORKER_REPORT_ANNOTATION = "aria.dev/worker-report";
/** Finalizer on Artworks: stored images are deleted and the delete reaction is folded first. */
export const ARTWORK_FINALIZER = "aria.dev/finalizer";
/** A person's reaction, set with `kubectl annotate artwork NAME aria.dev/feedback=love`. */
export const FEEDBACK_ANNOTATION = "aria.dev/feedback";
/** Optional id of the request that set FEEDBACK_ANNOTATION, so a retried request is taken once. */
export const FEEDBACK_REQUEST_ANNOTATION = "aria.dev/feedback-request";
/**
 * An Artwork's reactions as JSON FeedbackLog: those not yet folded into learning, numbered, and
 * the counts of those that were (so the annotation stays small however many reactions come).
 */
export const FEEDBACK_LOG_ANNOTATION = "aria.dev/feedback-log";

/** Where a worker pod finds a model whose source is a PVC: MODELS_MOUNT/<model name>. */
export const MODELS_MOUNT = "/var/lib/aria/models";

export const WORKER_LEASE_DURATION_SECONDS = 15;
/** The shortest `--lease-seconds`: three renewals a lease at the fastest heartbeat. */
export const MIN_WORKER_LEASE_SECONDS = 3;
/** The fastest heartbeat, whatever the lease. */
export const MIN_WORKER_HEARTBEAT_MS = 1_000;

/** A worker renews every third of its lease (so two renewals may be lost), at most once a second. */
export function heartbeatIntervalMs(leaseSeconds: number) {
  return Math.max(MIN_WORKER_HEARTBEAT_MS, Math.floor((leaseSeconds * 1000) / 3));
}

export const WORKER_HEARTBEAT_MS = heartbeatIntervalMs(WORKER_LEASE_DURATION_SECONDS);

export function workerLeaseName(pool: string, workerId: string) {
  return `aria-worker-${pool}-${workerId}`.slice(0, 253);
}

export interface WorkerModelReport {
  name: string;
  role: ModelRole;
  state: ModelLoadState;
  message?: string;
}

/** What a worker tells the operator through its heartbeat Lease: what placement and pool status read. */
export interface WorkerReport {
  /** True once every model is loaded and warm and storage is writable. */
  ready: boolean;
  reason?: string;
  message?: string;
  models: WorkerModelReport[];
  /** Artworks the worker runs at once. */
  capacity: number;
  draining?: boolean;
  /** Where its live previews are served, so the operator can relay them to the gallery. */
  stream?: WorkerStreamEndpoint;
}

/**
 * A worker's preview endpoint: wss://<pod IP>:<port>, and its certificate's SHA-256 fingerprint,
 * which the operator pins (a worker's certificate is self-signed unless one is mounted; its Lease,
 * written with its own ServiceAccount, is the trusted channel that names it).
 */
export interface WorkerStreamEndpoint {
  url: string;
  certificateSha256: string;
}

/** One reaction in FEEDBACK_LOG_ANNOTATION; the annotation is user-writable, so it is checked against this. */
export const FeedbackLogEntry = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    // Literals rather than StringEnum: this schema is checked with TypeBox's Value, not by the API server.
    action: Type.Union(FEEDBACK_ACTIONS.map((a) => Type.Literal(a))),
    time: Type.String({ maxLength: 64 }),
    source: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type FeedbackLogEntry = Static<typeof FeedbackLogEntry>;

/**
 * Reactions an Artwork holds unfolded at most: writers beyond it are asked to retry (HTTP 429) rather
 * than the annotation growing towards its 256 KiB limit (an entry is at most ~130 bytes).
 */
export const MAX_PENDING_REACTIONS = 300;
/** Request ids of folded reactions remembered (hashed), so a client's late retry still counts once. */
export const MAX_REMEMBERED_REQUESTS = 1024;

const Count = Type.Integer({ minimum: 0 });

export const FeedbackLog = Type.Object(
  {
    /** The LearningState that folds `pending` (the Artwork's pool's when the first of them came). */
    into: Type.Optional(Type.String({ maxLength: 253 })),
    /** Every reaction numbered up to this one is folded and counted in `counts`. */
    through: Type.Integer({ minimum: 0 }),
    counts: Type.Object(
      {
        like: Type.Optional(Count),
        love: Type.Optional(Count),
        download: Type.Optional(Count),
        share: Type.Optional(Count),
        delete: Type.Optional(Count),
      },
      { additionalProperties: false },
    ),
    /** Hashes of the request ids of folded reactions, newest last. */
    requests: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), { maxItems: MAX_REMEMBERED_REQUESTS }),
    ),
    /** The number of the reaction the Artwork's deletion was recorded as. */
    deletion: Type.Optional(Type.Integer({ minimum: 1 })),
    pending: Type.Array(FeedbackLogEntry, { maxItems: MAX_PENDING_REACTIONS }),
  },
  { additionalProperties: false },
);
export type FeedbackLog = Static<typeof FeedbackLog>;
/** The log as releases before compaction wrote it: every reaction, unfolded or not. */
export const FeedbackLogV1 = Type.Array(FeedbackLogEntry);
