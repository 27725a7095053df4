// The operator's aria_* metric families (the worker registers the generation and curation ones).
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function operatorMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: "aria_generation_requests_total",
      help: "Artworks that reached a final phase, by model, mood and status (succeeded, failed).",
      labelNames: ["model", "mood", "status"] as const,
      registers: [registry],
    }),
    feedback: new Counter({
      name: "aria_feedback_events_total",
      help: "Reactions folded into learning, by namespace and action.",
      labelNames: ["namespace", "action"] as const,
      registers: [registry],
    }),
    learningScore: new Gauge({
      name: "aria_learning_model_score",
      help: "Decayed mean reward of a (model, mood) arm.",
      labelNames: ["namespace", "learningstate", "model", "mood"] as const,
      registers: [registry],
    }),
    learningSamples: new Gauge({
      name: "aria_learning_samples",
      help: "Decayed count of reactions behind a (model, mood) arm.",
      labelNames: ["namespace", "learningstate", "model", "mood"] as const,
      registers: [registry],
    }),
    poolSize: new Gauge({
      name: "aria_model_pool_size",
      help: "Workers registered with a pool.",
      labelNames: ["namespace", "pool"] as const,
      registers: [registry],
    }),
    poolPreloaded: new Gauge({
      name: "aria_model_pool_preloaded",
      help: "Workers of a pool with a model loaded and warm.",
      labelNames: ["namespace", "pool", "model"] as const,
      registers: [registry],
    }),
    activeGenerations: new Gauge({
      name: "aria_active_generations",
      help: "Artworks bound to a worker and not yet finished.",
      labelNames: ["namespace", "pool"] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "aria_artwork_queue_depth",
      help: "Artworks waiting for a free worker.",
      labelNames: ["namespace", "pool"] as const,
      registers: [registry],
    }),
    pushNotifications: new Counter({
      name: "aria_push_notifications_total",
      help: "Web Push notification attempts, by outcome (sent, gone: the subscription expired, retried, failed: given up).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    bindLatency: new Histogram({
      name: "aria_scheduling_bind_duration_seconds",
      help: "Time from an Artwork's creation (second precision) to its binding to a worker.",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof operatorMetrics>;
