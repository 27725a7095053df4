// Cached objects for the operator's unit tests: small typed factories for the Artworks, ModelPools,
// worker views and LearningStates the controllers' pure parts decide on, and a seeded random source.
// Imported only by tests.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import { API_VERSION } from "../crds/api.ts";
import type { Artwork, ArtworkSpec, ArtworkStatus } from "../crds/artwork.ts";
import type { LearningState, LearningStateSpec, LearningStateStatus } from "../crds/learning-state.ts";
import type {
  ModelLoadState,
  ModelPool,
  ModelPoolSpec,
  ModelPoolStatus,
  PoolModel,
} from "../crds/model-pool.ts";
import {
  FEEDBACK_LOG_ANNOTATION,
  WORKER_LABEL,
  type FeedbackLogEntry,
  type WorkerModelReport,
  type WorkerReport,
} from "../crds/worker-protocol.ts";
import type { Random } from "./learning/bandit.ts";
import type { WorkerView } from "./scheduling/worker-view.ts";

/** The clock every factory reads: "now" in the tests. */
export const NOW = Date.parse("2026-06-01T12:00:00Z");
export const NAMESPACE = "gallery";
export const POOL = "studio";

/** The timestamp `ms` before NOW, as the API server writes it (negative: after NOW). */
export function ago(ms: number) {
  return new Date(NOW - ms).toISOString();
}

/** A metadata timestamp as the informer cache holds it: a string, though V1ObjectMeta types it as a Date. */
export function metaTime(iso: string) {
  return iso as unknown as Date;
}

/** Two generators and the two scorers. */
export const POOL_MODELS: PoolModel[] = [
  { name: "painter", role: "generator", source: { builtin: "aria-painter" } },
  { name: "sketcher", role: "generator", source: { builtin: "aria-sketcher" } },
  { name: "clip", role: "clip", source: { builtin: "aria-clip" } },
  { name: "aesthetic", role: "aesthetic", source: { builtin: "aria-aesthetic" } },
];
export const GENERATORS = ["painter", "sketcher"];

export function modelPool(spec: Partial<ModelPoolSpec> = {}, status?: ModelPoolStatus): ModelPool {
  return {
    apiVersion: API_VERSION,
    kind: "ModelPool",
    metadata: { name: POOL, namespace: NAMESPACE, uid: "uid-pool", generation: 1 },
    spec: { models: POOL_MODELS, replicas: 2, ...spec },
    ...(status ? { status } : {}),
  };
}

export interface ArtworkInit {
  spec?: Partial<ArtworkSpec>;
  status?: ArtworkStatus;
  metadata?: Partial<V1ObjectMeta>;
}

/** An Artwork of POOL created a minute before NOW; its UID is `uid-<name>`. */
export function artwork(name: string, init: ArtworkInit = {}): Artwork {
  return {
    apiVersion: API_VERSION,
    kind: "Artwork",
    metadata: {
      name,
      namespace: NAMESPACE,
      uid: `uid-${name}`,
      generation: 1,
      creationTimestamp: metaTime(ago(60_000)),
      ...init.metadata,
    },
    spec: { prompt: "a lighthouse in a storm", poolRef: { name: POOL }, ...init.spec },
    ...(init.status ? { status: init.status } : {}),
  };
}

/**
 * An Artwork the scheduler bound to `worker` 30 s ago (labelled, attempt 1, painter, Generating);
 * `init.status` overrides any of that.
 */
export function boundArtwork(name: string, worker: string, init: ArtworkInit = {}): Artwork {
  return artwork(name, {
    ...init,
    metadata: { labels: { [WORKER_LABEL]: worker }, ...init.metadata },
    status: {
      phase: "Generating",
      worker,
      attempt: 1,
      model: "painter",
      modelReason: "exploit",
      scheduledTime: ago(30_000),
      startTime: ago(30_000),
      ...init.status,
    },
  });
}

/** The feedback-log annotation holding `actions`, numbered from 1. */
export function reactions(...actions: string[]): Record<string, string> {
  const log: FeedbackLogEntry[] = actions.map((action, i) => ({ seq: i + 1, action, time: ago(0) }));
  return { [FEEDBACK_LOG_ANNOTATION]: JSON.stringify(log) };
}

/** Each of `names` in `state`, with the role the pool gives it. */
export function modelStates(
  state: ModelLoadState,
  names: readonly string[] = POOL_MODELS.map((m) => m.name),
  message?: string,
): WorkerModelReport[] {
  return names.map((name) => ({
    name,
    role: POOL_MODELS.find((m) => m.name === name)?.role ?? "generator",
    state,
    ...(message ? { message } : {}),
  }));
}

/** A worker of POOL whose Lease runs 10 s past NOW: warm, every model Ready, room for one Artwork. */
export function workerView(
  id: string,
  report: Partial<WorkerReport> = {},
  expiresAt = NOW + 10_000,
): WorkerView {
  return {
    id,
    namespace: NAMESPACE,
    pool: POOL,
    expiresAt,
    report: {
      ready: true,
      capacity: 1,
      models: modelStates("Ready"),
      ...report,
    },
  };
}

/** POOL's LearningState (named after the pool), generation 1. */
export function learningState(status?: LearningStateStatus, spec: LearningStateSpec = {}): LearningState {
  return {
    apiVersion: API_VERSION,
    kind: "LearningState",
    metadata: { name: POOL, namespace: NAMESPACE, uid: "uid-learning", generation: 1 },
    spec,
    ...(status ? { status } : {}),
  };
}

/** A seeded generator (mulberry32), so statistical assertions are repeatable. */
export function seededRandom(seed: number): Random {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
