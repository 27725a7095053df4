// Runs the Artworks bound to this worker: watches them (label selector on this worker's id),
// starts an attempt when a slot is free, and ends it with a fenced final write. The parts of an
// attempt live beside it: the render request, the fenced writer, progress and the result.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { artworkConditions, type PhaseChange } from "../../crds/artwork-conditions.ts";
import { effectiveSpec, type ModelDefaults } from "../../crds/effective-spec.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import { WORKER_LABEL } from "../../crds/worker-protocol.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import type { EventRecorder } from "../../lib/kube/event-recorder.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { objectKey } from "../../lib/kube/object-key.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import type { ImageStore } from "../../lib/storage/image-store.ts";
import { StorageError } from "../../lib/storage/storage-error.ts";
import type { PreviewHub } from "../http/preview-hub.ts";
import type { InferenceHost } from "../inference/inference-host.ts";
import type { WorkerMetrics } from "../metrics.ts";
import type { Batching } from "../pipeline/batch-budget.ts";
import { defaultsOf } from "../pipeline/generator-defaults.ts";
import { RenderError } from "../pipeline/render-error.ts";
import { WorkerUnfit, type HealthProblem } from "../worker-health.ts";
import { FencedOut, FencedStatusWriter } from "./fenced-status-writer.ts";
import { handBackStatus } from "./hand-back.ts";
import { ProgressReporter } from "./progress-reporter.ts";
import { renderRequestFor } from "./render-request-for.ts";
import { ResultPublisher } from "./result-publisher.ts";

export interface RunnerOptions {
  kc: KubeConfig;
  namespace: string;
  pool: string;
  workerId: string;
  capacity: number;
  host: InferenceHost;
  store: ImageStore;
  hub: PreviewHub;
  metrics: WorkerMetrics;
  /** The registry the worker serves, for the informer's watch-restart counter. */
  registry: Registry;
  /** A loaded generator's defaults; undefined for a model this worker does not have. */
  defaults: (model: string) => ModelDefaults | undefined;
  /** The pool's spec.batching; absent: candidates one at a time. */
  batching?: Batching;
  log: Logger;
  events: EventRecorder;
  /**
   * Called when draining starts, so the heartbeat reports it at once and no new Artwork is bound
   * here. Starts and finishes ride on the regular heartbeat: a beat each would double the API
   * writes of short renders, and the scheduler counts load from the Artworks.
   */
  onDraining: () => void;
  /** Why this worker should take no work now (storage, inference threads), or undefined. */
  problem: () => HealthProblem | undefined;
  /** A store write failed: re-check storage and report it, so the Artwork is not bound here again. */
  onStorageError: () => Promise<void>;
}

interface Running {
  attempt: number;
  abort: AbortController;
  done: Promise<void>;
}

export class ArtworkRunner {
  private readonly informer: Informer<Artwork>;
  private readonly writer: FencedStatusWriter;
  private readonly publisher: ResultPublisher;
  private readonly running = new Map<string, Running>();
  /**
   * Attempts run here whose own writes the watch has not shown yet. A render can finish before
   * its first write comes back through the watch; without this, the slot it frees would be given
   * to the same attempt again, still "Scheduled" in the cache.
   */
  private readonly finished = new Map<string, number>();
  private draining = false;

  constructor(private readonly o: RunnerOptions) {
    this.writer = new FencedStatusWriter(
      new CustomObjectClient(o.kc),
      o.workerId,
      (art, err, failures, delayMs) =>
        o.log.warn(
          { artwork: objectKey(art), err: String(err), failures, delayMs: Math.round(delayMs) },
          "status write failed; retrying after backoff",
        ),
    );
    this.publisher = new ResultPublisher(o.store, o.metrics);
    this.informer = new Informer<Artwork>({
      kc: o.kc,
      path: `/apis/${ARTWORK.group}/${ARTWORK.version}/namespaces/${o.namespace}/${ARTWORK.plural}`,
      labelSelector: `${WORKER_LABEL}=${o.workerId}`,
      name: "bound-artworks",
      logger: o.log,
      resyncMs: 30_000,
      registry: o.registry,
    });
    this.informer.on("add", (a) => this.consider(a));
    this.informer.on("update", (a) => this.consider(a));
    this.informer.on("delete", (a) => {
      this.running.get(objectKey(a))?.abort.abort();
      this.finished.delete(objectKey(a));
    });
  }

  async start() {
    await this.informer.start();
  }

  /** The API server is back after an outage: relist what is bound here rather than trust a watch that hung. */
  relist() {
    this.informer.relistNow();
  }

  private consider(art: Artwork) {
    const key = objectKey(art);
    const status = art.status ?? {};
    const current = this.running.get(key);
    if (status.worker !== this.o.workerId || art.metadata.deletionTimestamp) {
      current?.abort.abort();
      return;
    }
    if (current && current.attempt !== status.attempt) current.abort.abort();
    const finished = this.finished.get(key);
    if (finished !== undefined) {
      if (status.phase === "Scheduled" && status.attempt === finished) return;
      this.finished.delete(key);
    }
    if (status.phase !== "Scheduled" || current?.attempt === status.attempt) return;
    if (this.draining || this.running.size >= this.o.capacity) return;
    const attempt = status.attempt ?? 1;
    const abort = new AbortController();
    const entry: Running = { attempt, abort, done: Promise.resolve() };
    this.running.set(key, entry);
    entry.done = this.run(art, attempt, abort.signal)
      // Whatever went wrong stays with this Artwork: the worker and its other renders go on.
      .catch((err: unknown) =>
        this.o.log.error({ artwork: key, attempt, err: String(err) }, "artwork attempt ended with an error"),
      )
      .finally(() => {
        if (this.running.get(key) === entry) this.running.delete(key);
        this.finished.set(key, attempt);
        this.recheck();
      });
  }

  /** A slot freed up: look again at what is bound here and waiting. */
  private recheck() {
    for (const art of this.informer.list()) this.consider(art);
  }

  private async run(art: Artwork, attempt: number, signal: AbortSignal) {
    const key = objectKey(art);
    const started = performance.now();
    const model = art.status?.model ?? art.spec.model ?? "";
    const req = renderRequestFor(art, this.o.defaults(model) ?? defaultsOf(), this.o.batching);
    const log = this.o.log.child({ artwork: key, attempt });
    // Its writes are retried through an API outage of any length (a finished render's result is
    // kept until written); only the attempt's end (deleted, or no longer this worker's) stops them.
    const writer = this.writer.until(signal);
    let conditions = art.status?.conditions;
    const phase = (change: PhaseChange) => {
      conditions = artworkConditions(conditions, change, art.metadata.generation);
      return { phase: change.phase, message: change.message, conditions };
    };
    try {
      // Bound just before this worker reported a problem: nothing runs, it goes elsewhere.
      const problem = this.o.problem();
      if (problem) {
        throw new WorkerUnfit(
          problem.reason,
          `worker ${this.o.workerId} cannot take work: ${problem.message}`,
        );
      }
      await writer.write(art, attempt, {
        ...phase({
          phase: "Generating",
          reason: "Generating",
          // A pool that asked for CUDA but runs on CPU says so where the user looks.
          message: `generating ${req.variations} candidates on ${this.o.workerId}${
            this.o.host.providerMessage ? ` (${this.o.host.providerMessage})` : ""
          }`,
        }),
        steps: req.steps,
        guidanceScale: req.guidanceScale,
        scheduler: req.scheduler,
        width: req.width,
        height: req.height,
        progress: { step: 0, totalSteps: req.steps, variation: 0, variations: req.variations, percent: 0 },
      });
      log.info({ model: req.model, seed: req.seed, steps: req.steps }, "started artwork");
      this.o.events.record(
        art,
        "Normal",
        "Generating",
        `worker ${this.o.workerId} started attempt ${attempt}: ${req.variations} candidates, ${req.steps} steps`,
      );
      this.o.metrics.active.set({ pool: this.o.pool }, this.running.size);

      const progress = new ProgressReporter(art, attempt, writer, this.o.hub);
      const result = await this.o.host.render(req, progress.report, signal);
      await progress.flush();
      const status = await this.publisher.publish(art, req, result);
      await writer.write(art, attempt, status);
      const seconds = (performance.now() - started) / 1000;
      const succeeded = status.phase === "Succeeded";
      this.o.metrics.duration.observe(
        { model: req.model, status: succeeded ? "succeeded" : "failed" },
        seconds,
      );
      if (succeeded) {
        const selected = result.candidates.find((c) => c.index === result.selected)!;
        this.o.hub.final(key, selected.png, { index: selected.index, sha256: selected.sha256 });
        log.info({ seconds: Math.round(seconds * 100) / 100, selected: result.selected }, "finished artwork");
        this.o.events.record(art, "Normal", "Succeeded", status.message ?? "succeeded");
      } else {
        this.o.hub.failed(key, "BelowMinimumScore", status.message ?? "");
        this.o.events.record(art, "Warning", "BelowMinimumScore", status.message ?? "");
        log.warn({ reason: "BelowMinimumScore" }, status.message);
      }
    } catch (err) {
      if (err instanceof FencedOut || signal.aborted) {
        log.warn("dropped an attempt that is no longer this worker's");
        return;
      }
      const { reason, workerAtFault } = failureOf(err);
      const message = err instanceof Error ? err.message : String(err);
      this.o.metrics.errors.inc({ model: req.model, reason });
      if (err instanceof StorageError) await this.o.onStorageError();
      // This worker failed, not the Artwork: another worker may finish it while spec.maxAttempts
      // allows, as after a lost worker.
      const maxAttempts = effectiveSpec(art.spec).maxAttempts;
      if (workerAtFault && attempt < maxAttempts) {
        log.warn({ reason, err: message }, "artwork failed on this worker; handed back for another attempt");
        await this.handBack(
          writer,
          art,
          attempt,
          reason,
          err instanceof WorkerUnfit
            ? message
            : `attempt ${attempt} of ${maxAttempts} failed on worker ${this.o.workerId}: ${message}`,
        );
        return;
      }
      this.o.hub.failed(key, reason, message);
      log.error({ reason, err: message }, "artwork failed");
      this.o.events.record(art, "Warning", reason, message);
      try {
        await writer.write(art, attempt, {
          ...phase({ phase: "Failed", reason, message }),
          completionTime: rfc3339(new Date()),
          progress: undefined,
        });
      } catch (writeErr) {
        if (!(writeErr instanceof FencedOut)) throw writeErr;
      }
    } finally {
      this.o.metrics.active.set({ pool: this.o.pool }, Math.max(0, this.running.size - 1));
    }
  }

  /**
   * SIGTERM: stop taking work, let running Artworks finish within `graceMs`, then hand the rest
   * back (phase Pending, no worker) so the operator binds them elsewhere.
   */
  async drain(graceMs: number) {
    this.draining = true;
    this.o.onDraining();
    const all = Promise.all([...this.running.values()].map((r) => r.done));
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
    ]);
    if (timedOut) {
      for (const [key, r] of this.running) {
        r.abort.abort();
        const art = this.informer.list().find((a) => objectKey(a) === key);
        if (!art) continue;
        // Bounded: a worker that cannot reach the API server leaves it to its Lease running out.
        await this.handBack(
          this.writer.until(AbortSignal.timeout(graceMs)),
          art,
          r.attempt,
          "HandedBack",
          `worker ${this.o.workerId} shut down; handed back for another attempt`,
        );
      }
      await all;
    }
    await this.informer.stop();
  }

  isDraining() {
    return this.draining;
  }

  /** Unbinds the attempt (phase Pending, no worker) so the operator binds the Artwork elsewhere. */
  private async handBack(
    writer: FencedStatusWriter,
    art: Artwork,
    attempt: number,
    reason: string,
    message: string,
  ) {
    const key = objectKey(art);
    try {
      await writer.write(art, attempt, handBackStatus(art, reason, message));
    } catch (err) {
      // Fenced out: it is no longer this worker's to hand back.
      if (err instanceof FencedOut) return;
      this.o.log.warn({ artwork: key, attempt, err: String(err) }, "could not hand back artwork");
      return;
    }
    this.o.events.record(art, "Normal", reason, message);
    this.o.log.info({ artwork: key, attempt, reason }, "handed back artwork");
  }
}

/** The condition reason of a failed attempt, and whether this worker (not the Artwork) was at fault. */
export function failureOf(err: unknown): { reason: string; workerAtFault: boolean } {
  if (err instanceof WorkerUnfit) return { reason: err.reason, workerAtFault: true };
  if (err instanceof StorageError)
    return { reason: err.problem === "full" ? "StorageFull" : "StorageUnwritable", workerAtFault: true };
  if (err instanceof RenderError)
    return { reason: err.reason, workerAtFault: err.reason === "InferenceUnavailable" };
  return { reason: "InferenceFailed", workerAtFault: false };
}
