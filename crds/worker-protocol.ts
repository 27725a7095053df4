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
/** Reactions already taken from FEEDBACK_ANNOTATION, numbered, as JSON FeedbackLog. */
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
export const FeedbackLog = Type.Array(FeedbackLogEntry);
