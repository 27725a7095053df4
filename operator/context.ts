// What every controller shares: the API clients, the informer caches and the worker registry.
import type { KubeConfig, V1Deployment, V1Lease } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import type { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import type { EventRecorder } from "../lib/kube/event-recorder.ts";
import type { Informer } from "../lib/kube/informer.ts";
import type { Logger } from "../lib/observability/logger.ts";
import type { OperatorMetrics } from "./metrics.ts";
import type { OperatorConfig } from "./config.ts";

export interface Caches {
  artworks: Informer<Artwork & { apiVersion?: string; kind?: string }>;
  pools: Informer<ModelPool>;
  learning: Informer<LearningState>;
  leases: Informer<V1Lease>;
  deployments: Informer<V1Deployment>;
}

export interface OperatorContext {
  kc: KubeConfig;
  config: OperatorConfig;
  client: CustomObjectClient;
  caches: Caches;
  events: EventRecorder;
  metrics: OperatorMetrics;
  registry: Registry;
  log: Logger;
}

export function learningStateName(pool: ModelPool) {
  return pool.spec.learningStateRef?.name ?? pool.metadata.name ?? "";
}

export function generatorModels(pool: ModelPool) {
  return pool.spec.models.filter((m) => m.role === "generator").map((m) => m.name);
}

export function objectKey(obj: { metadata?: { namespace?: string; name?: string } }) {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}
