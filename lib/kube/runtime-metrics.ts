// Metric families of the Kubernetes runtime (controllers, work queues, informers), named as
// controller-runtime and client-go name theirs.
import type { Registry } from "prom-client";
import { counter, gauge, histogram } from "../observability/metric-families.ts";

const secondsBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function workQueueMetrics(registry: Registry) {
  return {
    depth: gauge(registry, "workqueue_depth", "Current depth of the work queue.", ["name"]),
    adds: counter(registry, "workqueue_adds_total", "Keys added to the work queue.", ["name"]),
    retries: counter(registry, "workqueue_retries_total", "Rate-limited re-adds to the work queue.", [
      "name",
    ]),
    queueDuration: histogram(
      registry,
      "workqueue_queue_duration_seconds",
      "How long a key waits in the queue before a worker takes it.",
      ["name"],
      secondsBuckets,
    ),
  };
}

export type WorkQueueMetrics = ReturnType<typeof workQueueMetrics>;

export function controllerMetrics(registry: Registry) {
  return {
    reconcileTotal: counter(registry, "controller_runtime_reconcile_total", "Reconciles by result.", [
      "controller",
      "result",
    ]),
    reconcileErrors: counter(
      registry,
      "controller_runtime_reconcile_errors_total",
      "Reconciles that returned an error.",
      ["controller"],
    ),
    reconcileTime: histogram(
      registry,
      "controller_runtime_reconcile_time_seconds",
      "Time spent in one reconcile.",
      ["controller"],
      secondsBuckets,
    ),
    activeWorkers: gauge(
      registry,
      "controller_runtime_active_workers",
      "Workers currently running a reconcile.",
      ["controller"],
    ),
  };
}

export function informerMetrics(registry: Registry) {
  return {
    restarts: counter(
      registry,
      "aria_informer_watch_restarts_total",
      "Watch restarts by reason (closed, gone, watchdog, error, list_error).",
      ["informer", "reason"],
    ),
  };
}
