// What every controller shares: the API clients, the informer caches, the worker registry and
// the queues of the other controllers.
import type { KubeConfig, V1Deployment, V1Lease } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import type { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import type { EventRecorder } from "../lib/kube/event-recorder.ts";
import type { Informer } from "../lib/kube/informer.ts";
import type { ObjectKey } from "../lib/kube/object-key.ts";
import { changedBeyondStatus } from "../lib/kube/update-filter.ts";
import type { Logger } from "../lib/observability/logger.ts";
import type { ImageStore } from "../lib/storage/image-store.ts";
import type { OperatorConfig } from "./config.ts";
import type { OperatorMetrics } from "./metrics.ts";
import type { WorkerRegistry } from "./scheduling/worker-registry.ts";

export interface Caches {
  artworks: Informer<Artwork>;
  pools: Informer<ModelPool>;
  learning: Informer<LearningState>;
  leases: Informer<V1Lease>;
  deployments: Informer<V1Deployment>;
}

export type ControllerName = "artwork" | "scheduler" | "modelpool" | "learningstate" | "push";

export interface OperatorContext {
  kc: KubeConfig;
  config: OperatorConfig;
  client: CustomObjectClient;
  caches: Caches;
  workers: WorkerRegistry;
  /** Where workers store images: the finalizer deletes them, the gallery reads them. */
  images: ImageStore;
  /** Asks another controller to look at a key (its own watches are declared in its setup). */
  enqueue: (controller: ControllerName, key: ObjectKey) => void;
  /** Caches run on standby replicas too; what only the leader may do checks this. */
  isLeader: () => boolean;
  events: EventRecorder;
  metrics: OperatorMetrics;
  registry: Registry;
  log: Logger;
}

/**
 * A worker's progress writes (many per render) change nothing the artwork, scheduler and pool
 * controllers decide on, so they do not cost a reconcile each.
 */
export const changedBeyondProgress = changedBeyondStatus<Artwork>("progress");

export function learningStateName(pool: ModelPool) {
  return pool.spec.learningStateRef?.name ?? pool.metadata.name ?? "";
}

/** The LearningState an Artwork's reactions fold into (its pool's, or one named after the pool). */
export function learningStateKeyOf(art: Artwork, pools: Caches["pools"]): ObjectKey {
  const namespace = art.metadata.namespace ?? "";
  const pool = pools.get(namespace, art.spec.poolRef.name);
  return { namespace, name: pool ? learningStateName(pool) : art.spec.poolRef.name };
}

export function poolKeyOf(art: Artwork): ObjectKey {
  return { namespace: art.metadata.namespace ?? "", name: art.spec.poolRef.name };
}

export function generatorModels(pool: ModelPool) {
  return pool.spec.models.filter((m) => m.role === "generator").map((m) => m.name);
}
