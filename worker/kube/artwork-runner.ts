// Runs the Artworks bound to this worker. Every status write is fenced: JSON Patch `test`
// operations on status.worker and status.attempt make the API server reject the write of an
// attempt the operator has since given to someone else.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { Artwork, ArtworkStatus, OutputFormat, StoredImage } from "../../crds/artwork.ts";
import { ARTWORK, GROUP, VERSION } from "../../crds/api.ts";
import { artworkConditions, type PhaseChange } from "../../crds/artwork-conditions.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import { WORKER_LABEL } from "../../crds/worker-protocol.ts";
import { CustomObjectClient, type JsonPatchOp } from "../../lib/kube/custom-object-client.ts";
import type { EventRecorder } from "../../lib/kube/event-recorder.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { retryTransient, statusCode } from "../../lib/kube/kube-errors.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import type { PreviewHub } from "../http/preview-hub.ts";
import type { InferenceHost } from "../inference/inference-host.ts";
import type { WorkerMetrics } from "../metrics.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type { RenderProgress, RenderRequest, RenderResult } from "../pipeline/render-request.ts";
import type { ImageStore } from "../../lib/storage/image-store.ts";
import { readDefaults, type GeneratorDefaults } from "../pipeline/generator-defaults.ts";

/** Progress writes are throttled to this interval; previews stream over WebSocket instead. */
const PROGRESS_INTERVAL_MS = 500;
const PREVIEW_EVERY = 4;

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
  defaults: (model: string) => GeneratorDefaults | undefined;
  log: Logger;
  events: EventRecorder;
  /**
   * Called when draining starts, so the heartbeat reports it at once and no new Artwork is bound
   * here. The running list rides on the regular heartbeat: a beat per start and finish would
   * double the API writes of short renders, and the scheduler counts load from the Artworks.
   */
  onDraining: () => void;
}

interface Running {
  attempt: number;
  abort: AbortController;
  done: Promise<void>;
}

/** Another attempt owns the Artwork now: a fenced write was rejected. */
class FencedOut extends Error {}

export class ArtworkRunner {
  private readonly informer: Informer<Artwork>;
  private readonly client: CustomObjectClient;
  private readonly running = new Map<string, Running>();
  /**
   * Attempts run here whose own writes the watch has not shown yet. A render can finish before
   * its first write comes back through the watch; without this, the slot it frees would be given
   * to the same attempt again, still "Scheduled" in the cache.
   */
  private readonly finished = new Map<string, number>();
  private draining = false;

  constructor(private readonly o: RunnerOptions) {
    this.client = new CustomObjectClient(o.kc);
    this.informer = new Informer<Artwork>({
      kc: o.kc,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${o.namespace}/artworks`,
      labelSelector: `${WORKER_LABEL}=${o.workerId}`,
      name: "bound-artworks",
      logger: o.log,
      resyncMs: 30_000,
      registry: o.registry,
    });
    this.informer.on("add", (a) => this.consider(a));
    this.informer.on("update", (a) => this.consider(a));
    this.informer.on("delete", (a) => {
      this.running.get(keyOf(a))?.abort.abort();
      this.finished.delete(keyOf(a));
    });
  }

  async start() {
    await this.informer.start();
  }

  inFlight(): string[] {
    return [...this.running.entries()].map(([key, r]) => `${key}#${r.attempt}`);
  }

  private consider(art: Artwork) {
    const key = keyOf(art);
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
    entry.done = this.run(art, attempt, abort.signal).finally(() => {
      if (this.running.get(key) === entry) this.running.delete(key);
      this.finished.set(key, attempt);
      this.recheck();
    });
  }

  /** A slot freed up: look again at what is bound here and waiting. */
  private recheck() {
    for (const art of this.informer.list()) this.consider(art);
  }

  private fence(art: Artwork, attempt: number): JsonPatchOp[] {
    return [
      { op: "test", path: "/status/worker", value: this.o.workerId },
      { op: "test", path: "/status/attempt", value: attempt },
    ];
  }

  /**
   * A fenced status write. Transient failures are retried (the fence makes a repeat harmless), so a
   * dropped connection cannot turn a finished render into a failed one; `bestEffort` writes
   * (progress, superseded by the next) are tried once.
   */
  private async write(art: Artwork, attempt: number, status: ArtworkStatus, bestEffort = false) {
    const ops: JsonPatchOp[] = [...this.fence(art, attempt)];
    for (const [field, value] of Object.entries(status)) {
      // null rather than remove: remove fails on an absent field, and the API server prunes nulls.
      ops.push({ op: "add", path: `/status/${field}`, value: value ?? null });
    }
    const patch = () =>
      this.client.jsonPatchStatus(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", ops);
    try {
      await (bestEffort ? patch() : retryTransient(patch));
    } catch (err) {
      if (statusCode(err) === 422 || statusCode(err) === 404) throw new FencedOut();
      throw err;
    }
  }

  private request(art: Artwork, defaults: GeneratorDefaults | undefined): RenderRequest {
    const s = art.spec;
    const st = art.status ?? {};
    const model = st.model ?? s.model ?? "";
    const d = defaults ?? readDefaults({});
    return {
      prompt: s.prompt,
      ...(s.negativePrompt ? { negativePrompt: s.negativePrompt } : {}),
      model,
      seed: st.seed ?? s.seed ?? 0,
      steps: s.steps ?? st.steps ?? d.steps,
      guidanceScale: s.guidanceScale ?? st.guidanceScale ?? d.guidanceScale,
      scheduler: s.scheduler ?? d.scheduler,
      width: s.width ?? d.width,
      height: s.height ?? d.height,
      variations: s.variations ?? 4,
      ...(s.curation ? { curation: s.curation } : {}),
      output: { formats: s.output?.formats ?? ["png"], upscale: s.output?.upscale ?? 1 },
      previewEvery: PREVIEW_EVERY,
    };
  }

  private async run(art: Artwork, attempt: number, signal: AbortSignal) {
    const key = keyOf(art);
    const started = performance.now();
    const req = this.request(art, this.o.defaults(art.status?.model ?? art.spec.model ?? ""));
    const log = this.o.log.child({ artwork: key, attempt });
    let conditions = art.status?.conditions;
    const phase = (change: PhaseChange) => {
      conditions = artworkConditions(conditions, change, art.metadata.generation);
      return { phase: change.phase, message: change.message, conditions };
    };
    try {
      await this.write(art, attempt, {
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

      const result = await this.render(art, attempt, req, signal);
      const status = await this.finalStatus(art, req, result, phase);
      await this.write(art, attempt, status);
      const seconds = (performance.now() - started) / 1000;
      this.o.metrics.duration.observe(
        { model: req.model, status: status.phase === "Succeeded" ? "succeeded" : "failed" },
        seconds,
      );
      if (status.phase === "Succeeded") {
        const selected = result.candidates.find((c) => c.index === result.selected);
        if (selected) this.o.hub.final(key, selected.png, { index: selected.index, sha256: selected.sha256 });
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
      const reason = err instanceof RenderError ? err.reason : "InferenceFailed";
      const message = err instanceof Error ? err.message : String(err);
      this.o.metrics.errors.inc({ model: req.model, reason });
      this.o.hub.failed(key, reason, message);
      log.error({ reason, err: message }, "artwork failed");
      this.o.events.record(art, "Warning", reason, message);
      try {
        await this.write(art, attempt, {
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

  private async render(art: Artwork, attempt: number, req: RenderRequest, signal: AbortSignal) {
    const key = keyOf(art);
    // The first progress write waits an interval too: a render shorter than that gets none.
    let lastWrite = Date.now();
    let pending: Promise<void> = Promise.resolve();
    const onProgress = (p: RenderProgress) => {
      if (p.preview && this.o.hub.hasSubscribers(key)) {
        this.o.hub.preview(key, {
          step: p.step,
          totalSteps: p.totalSteps,
          variation: p.variation,
          variations: p.variations,
          jpeg: p.preview,
        });
      }
      const now = Date.now();
      if (now - lastWrite < PROGRESS_INTERVAL_MS) return;
      lastWrite = now;
      const done =
        p.phase === "curating"
          ? 0.95
          : ((p.variation * p.totalSteps + p.step) / (p.variations * p.totalSteps)) * 0.9;
      const progress = {
        step: p.step,
        totalSteps: p.totalSteps,
        variation: p.variation,
        variations: p.variations,
        percent: Math.floor(done * 100),
      };
      const status: ArtworkStatus = { progress };
      if (p.phase === "curating" && art.status?.phase !== "Curating") {
        status.phase = "Curating";
      }
      // One progress write in flight at a time; a rejected one means another attempt took over.
      pending = pending.then(() => this.write(art, attempt, status, true).catch(() => undefined));
    };
    const result: RenderResult = await this.o.host.render(req, onProgress, signal);
    await pending;
    return result;
  }

  private async finalStatus(
    art: Artwork,
    req: RenderRequest,
    result: RenderResult,
    phase: (c: PhaseChange) => Pick<ArtworkStatus, "phase" | "message" | "conditions">,
  ): Promise<ArtworkStatus> {
    const m = this.o.metrics;
    const candidates = [];
    for (const c of result.candidates) {
      const stored = await this.o.store.put(c.png, "png");
      candidates.push({
        index: c.index,
        seed: c.seed,
        uri: stored.uri,
        sha256: stored.sha256,
        scores: c.scores,
      });
      m.images.inc({ model: req.model });
      m.steps.observe({ model: req.model }, req.steps);
      m.clip.observe({ model: req.model }, c.scores.clip);
      m.aesthetic.observe({ model: req.model }, c.scores.aesthetic);
      m.technical.observe({ model: req.model }, c.scores.technical);
    }
    const common: ArtworkStatus = {
      candidates,
      promptTruncated: result.promptTruncated,
      completionTime: rfc3339(new Date()),
      timings: {
        ...art.status?.timings,
        generateSeconds: round(result.timings.generateSeconds),
        curateSeconds: round(result.timings.curateSeconds),
      },
    };
    const truncated = result.promptTruncated
      ? " (the prompt was longer than the model's 77-token window and was truncated)"
      : "";
    if (result.selected === undefined) {
      return {
        ...common,
        ...phase({
          phase: "Failed",
          reason: "BelowMinimumScore",
          message: result.rejectedReason ?? "no candidate reached spec.curation.minScore",
        }),
        progress: undefined,
      };
    }
    const selected = result.candidates.find((c) => c.index === result.selected)!;
    m.ensemble.observe({ model: req.model }, selected.scores.ensemble);
    const images: StoredImage[] = [];
    for (const out of result.outputs) {
      const stored = await this.o.store.put(out.data, out.format === "jpeg" ? "jpg" : out.format);
      images.push({
        format: out.format as OutputFormat,
        uri: stored.uri,
        sha256: stored.sha256,
        width: out.width,
        height: out.height,
        bytes: stored.bytes,
      });
    }
    return {
      ...common,
      ...phase({
        phase: "Succeeded",
        reason: "Succeeded",
        message: `kept candidate ${selected.index} of ${result.candidates.length} (score ${selected.scores.ensemble.toFixed(3)})${truncated}`,
      }),
      selected: { index: selected.index, score: round(selected.scores.ensemble, 4), images },
      progress: {
        step: req.steps,
        totalSteps: req.steps,
        variation: req.variations,
        variations: req.variations,
        percent: 100,
      },
    };
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
        const art = this.informer.list().find((a) => keyOf(a) === key);
        if (!art) continue;
        const message = `worker ${this.o.workerId} shut down; handed back for another attempt`;
        await this.write(art, r.attempt, {
          phase: "Pending",
          message,
          worker: undefined,
          progress: undefined,
          conditions: artworkConditions(
            art.status?.conditions,
            { phase: "Pending", reason: "HandedBack", message },
            art.metadata.generation,
          ),
        }).catch(() => undefined);
        this.o.log.info({ artwork: key, attempt: r.attempt }, "handed back artwork on shutdown");
      }
      await all;
    }
    await this.informer.stop();
  }

  isDraining() {
    return this.draining;
  }
}

function keyOf(art: Artwork) {
  return `${art.metadata.namespace}/${art.metadata.name}`;
}

function round(n: number, digits = 3) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
