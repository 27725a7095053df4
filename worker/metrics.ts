// The worker's aria_* metric families: generation, curation and what the pool has warm.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

const SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export function workerMetrics(registry: Registry) {
  const score = (name: string, help: string, buckets = SCORE_BUCKETS) =>
    new Histogram({ name, help, labelNames: ["model"] as const, buckets, registers: [registry] });
  return {
    duration: new Histogram({
      name: "aria_generation_duration_seconds",
      help: "Wall time of one Artwork on a worker, generation and curation included.",
      labelNames: ["model", "status"] as const,
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    steps: new Histogram({
      name: "aria_generation_steps",
      help: "Denoising steps per candidate.",
      labelNames: ["model"] as const,
      buckets: [1, 2, 4, 8, 15, 20, 30, 50, 100, 150],
      registers: [registry],
    }),
    images: new Counter({
      name: "aria_images_generated_total",
      help: "Candidate images generated.",
      labelNames: ["model"] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: "aria_generation_errors_total",
      help: "Artworks that failed on this worker, by reason.",
      labelNames: ["model", "reason"] as const,
      registers: [registry],
    }),
    clip: score("aria_curation_clip_score", "CLIP prompt similarity of candidates (0-1)."),
    aesthetic: score(
      "aria_curation_aesthetic_score",
      "Aesthetic score of candidates (1-10).",
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ),
    technical: score("aria_curation_technical_score", "Technical quality of candidates (0-1)."),
    ensemble: score("aria_curation_ensemble_score", "Ensemble score of selected candidates (0-1)."),
    preloaded: new Gauge({
      name: "aria_worker_model_preloaded",
      help: "Models this worker has loaded and warm (1) or not (0); the operator's aria_model_pool_preloaded counts them per pool.",
      labelNames: ["pool", "model"] as const,
      registers: [registry],
    }),
    active: new Gauge({
      name: "aria_worker_active_generations",
      help: "Artworks this worker is running; the operator's aria_active_generations counts them per pool.",
      labelNames: ["pool"] as const,
      registers: [registry],
    }),
    streams: new Gauge({
      name: "aria_preview_streams",
      help: "Preview streams (WebSockets) open on this worker.",
      registers: [registry],
    }),
    streamsRefused: new Counter({
      name: "aria_preview_streams_refused_total",
      help: "Preview stream requests refused, by HTTP status (401 no or bad token, 403 not allowed, 404, 429 per-client cap, 503 total cap or API unavailable).",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
    streamsDropped: new Counter({
      name: "aria_preview_streams_dropped_total",
      help: "Preview streams the worker ended early: idle (sent nothing for the idle timeout) or slow (reader fell behind).",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof workerMetrics>;
