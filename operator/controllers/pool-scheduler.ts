// Binds a pool's pending Artworks to its warm workers. One pass per pool at a time (the work
// queue never runs a key twice at once), so capacity is counted once; an "assumed" record of
// each binding covers the moment before the informer cache shows it, as kube-scheduler does.
import { randomInt } from "node:crypto";
import { ARTWORK } from "../../crds/api.ts";
import { ARTWORK_LIMITS, type Artwork, type ArtworkStatus } from "../../crds/artwork.ts";
import { artworkConditions, isActive, isTerminal } from "../../crds/artwork-conditions.ts";
import { effectiveSpec } from "../../crds/effective-spec.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import type { Controller, ReconcileResult, Reconciler } from "../../lib/kube/controller.ts";
import { isConflict, isNotFound } from "../../lib/kube/kube-errors.ts";
import { objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import {
  changedBeyondProgress,
  generatorModels,
  learningStateName,
  poolKeyOf,
  type OperatorContext,
} from "../context.ts";
import { learnedParameters, suggest, type Suggestion } from "../learning/suggestion.ts";
import { writeBindingMetadata } from "../scheduling/artwork-binding.ts";
import { chooseWorker, hasRoom, queueOrder } from "../scheduling/placement.ts";
import type { WorkerView } from "../scheduling/worker-view.ts";

/** Waiting marks written at once; enough to hide round trips, few enough not to flood the apiserver. */
const MARK_WAITING_BATCH = 32;

/** The generator for an attempt and why: the user named it, or learning explored or exploited. */
export interface ModelChoice extends Omit<Suggestion, "reason"> {
  reason: "user" | Suggestion["reason"];
}

export interface Binding {
  art: Artwork;
  worker: string;
  choice: ModelChoice;
}

/**
 * One scheduling pass, pure: the pool's unbound Artworks in queue order, each placed on the least
 * loaded warm worker with room, or left waiting. `boundWorker` says where an Artwork already runs.
 */
export function planBindings(
  artworks: readonly Artwork[],
  workers: readonly WorkerView[],
  generators: readonly string[],
  boundWorker: (art: Artwork) => string | undefined,
  choose: (art: Artwork) => ModelChoice,
  now = Date.now(),
): { bindings: Binding[]; waiting: Artwork[] } {
  const inFlight = new Map<string, number>();
  const pending: Artwork[] = [];
  for (const art of artworks) {
    const worker = boundWorker(art);
    if (worker) inFlight.set(worker, (inFlight.get(worker) ?? 0) + 1);
    else if (!isTerminal(art.status?.phase)) pending.push(art);
  }
  pending.sort(queueOrder);
  const bindings: Binding[] = [];
  const waiting: Artwork[] = [];
  for (const art of pending) {
    // The artwork controller reports a model the pool lacks; nothing to place.
    if (art.spec.model && !generators.includes(art.spec.model)) continue;
    // Once every worker is full the rest of the queue waits: a burst of thousands costs a pass
    // no model choice per waiting Artwork.
    if (!workers.some((w) => hasRoom(w, inFlight, now))) {
      waiting.push(art);
      continue;
    }
    const choice = choose(art);
    const worker = chooseWorker(workers, inFlight, choice.model, now);
    if (!worker) {
      waiting.push(art);
      continue;
    }
    inFlight.set(worker.id, (inFlight.get(worker.id) ?? 0) + 1);
    bindings.push({ art, worker: worker.id, choice });
  }
  return { bindings, waiting };
}

/** The model for an attempt: the user's, the first attempt's on a retry (so the learning signal stays clean), or learning's. */
export function chooseModelFor(
  art: Artwork,
  generators: readonly string[],
  learning: LearningState | undefined,
  now: Date,
): ModelChoice {
  const mood = effectiveSpec(art.spec).mood;
  if (art.spec.model)
    return { model: art.spec.model, reason: "user", ...learnedParameters(learning, art.spec.model, mood) };
  const previous = art.status?.model;
  if (previous && generators.includes(previous)) {
    const reason = art.status?.modelReason === "explore" ? "explore" : "exploit";
    return { model: previous, reason, ...learnedParameters(learning, previous, mood) };
  }
  return suggest(learning, generators, mood, now);
}

function isMarkedWaiting(art: Artwork): boolean {
  return (
    art.status?.phase === "Pending" &&
    (art.status.conditions?.some((c) => c.reason === "WaitingForWorker") ?? false)
  );
}

interface Assumed {
  worker: string;
  attempt: number;
}

export class PoolScheduler implements Reconciler {
  private readonly assumed = new Map<string, Assumed>();
  /** Waiting marks written from a version the cache still shows: not written twice meanwhile. */
  private readonly marking = new Map<string, string | undefined>();
  private controller: Controller | undefined;

  constructor(private readonly ctx: OperatorContext) {}

  setup(c: Controller) {
    const { caches, workers } = this.ctx;
    this.controller = c;
    caches.artworks.on("add", (a) => this.observe(a));
    caches.artworks.on("update", (a) => this.observe(a));
    caches.artworks.on("delete", (a) => this.forget(a));
    // The scheduler does not look at progress.
    c.watch(caches.artworks, poolKeyOf, changedBeyondProgress);
    c.watch(caches.pools);
    workers.onChange((w) => c.enqueue({ namespace: w.namespace, name: w.pool }));
  }

  /** Forgets an assumption once the cache shows the binding (or something newer). */
  private observe(art: Artwork) {
    const key = objectKey(art);
    const a = this.assumed.get(key);
    if (a && (art.status?.attempt ?? 0) >= a.attempt) this.assumed.delete(key);
    if (this.marking.get(key) !== art.metadata.resourceVersion) this.marking.delete(key);
  }

  /** Drops what was kept about a deleted Artwork. */
  private forget(art: Artwork) {
    this.assumed.delete(objectKey(art));
    this.marking.delete(objectKey(art));
  }

  /** Where the Artwork runs: the cache, or the binding this operator just made. */
  private boundWorker(art: Artwork) {
    const a = this.assumed.get(objectKey(art));
    if (a) return a.worker;
    return isActive(art.status?.phase) ? art.status?.worker : undefined;
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const pool = this.ctx.caches.pools.get(key.namespace, key.name);
    if (!pool) return;
    const workers = this.ctx.workers.forPool(key.namespace, key.name);
    const artworks = this.ctx.caches.artworks
      .list(key.namespace)
      .filter((a) => a.spec.poolRef.name === key.name && !a.metadata.deletionTimestamp);
    const generators = generatorModels(pool);
    const learning = this.ctx.caches.learning.get(key.namespace, learningStateName(pool));
    const now = new Date();
    const { bindings, waiting } = planBindings(
      artworks,
      workers,
      generators,
      (a) => this.boundWorker(a),
      (a) => chooseModelFor(a, generators, learning, now),
      now.getTime(),
    );
    for (const { art, worker, choice } of bindings) {
      // As kube-scheduler's binding cycle: the placement is assumed at once, so this pass and the
      // next count it, and the writes go on without holding the pass (nor the next binding).
      this.assumed.set(objectKey(art), { worker, attempt: (art.status?.attempt ?? 0) + 1 });
      void this.bind(art, worker, choice).then(
        // Changed or gone since the cache saw it: the watch event that shows it brings the next pass.
        (bound) => bound || this.assumed.delete(objectKey(art)),
        (err: unknown) => {
          this.ctx.log.warn(
            { artwork: objectKey(art), err: String(err) },
            "failed to bind artwork; will retry",
          );
          this.assumed.delete(objectKey(art));
          this.controller?.enqueue(key);
        },
      );
    }
    // Bindings first, then one batch of waiting marks per pass, written together: a burst of a
    // thousand new Artworks would otherwise hold this pass, and so the binding of a worker that
    // frees up meanwhile, for a thousand writes. The next pass comes at once and binds first again.
    const unmarked = waiting.filter(
      (art) => !isMarkedWaiting(art) && this.marking.get(objectKey(art)) !== art.metadata.resourceVersion,
    );
    const batch = unmarked.slice(0, MARK_WAITING_BATCH);
    await Promise.all(batch.map((art) => this.markWaiting(art, workers.length)));
    if (unmarked.length > batch.length) return { requeueAfterMs: 1 };
  }

  private async markWaiting(art: Artwork, workers: number) {
    const message =
      workers === 0
        ? `waiting for a worker of ModelPool "${art.spec.poolRef.name}" to start`
        : `waiting for a free worker of ModelPool "${art.spec.poolRef.name}"`;
    const status: ArtworkStatus = {
      phase: "Pending",
      message,
      observedGeneration: art.metadata.generation,
      conditions: artworkConditions(
        art.status?.conditions,
        { phase: "Pending", reason: "WaitingForWorker", message },
        art.metadata.generation,
      ),
    };
    this.marking.set(objectKey(art), art.metadata.resourceVersion);
    try {
      await this.ctx.client.patchStatusOf(ARTWORK, art, status);
    } catch (err) {
      this.marking.delete(objectKey(art));
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  /**
   * Status first (with a resourceVersion precondition, so an Artwork is never bound twice), then
   * the worker label and finalizer that make the worker's watch see it.
   */
  private async bind(art: Artwork, worker: string, choice: ModelChoice): Promise<boolean> {
    const attempt = (art.status?.attempt ?? 0) + 1;
    const now = new Date();
    const created = Date.parse(String(art.metadata.creationTimestamp));
    const spec = effectiveSpec(art.spec, choice);
    const seed =
      art.spec.seed ??
      art.status?.seed ??
      randomInt(ARTWORK_LIMITS.seed.minimum, ARTWORK_LIMITS.seed.maximum);
    const message = `bound to worker ${worker} (attempt ${attempt} of ${spec.maxAttempts})`;
    const status: ArtworkStatus = {
      phase: "Scheduled",
      message,
      worker,
      attempt,
      model: choice.model,
      modelReason: choice.reason,
      seed,
      ...(spec.steps !== undefined ? { steps: spec.steps } : {}),
      ...(spec.guidanceScale !== undefined ? { guidanceScale: spec.guidanceScale } : {}),
      scheduledTime: rfc3339(now),
      startTime: art.status?.startTime ?? rfc3339(now),
      timings: { ...art.status?.timings, queuedSeconds: Math.max(0, (now.getTime() - created) / 1000) },
      observedGeneration: art.metadata.generation,
      conditions: artworkConditions(
        art.status?.conditions,
        { phase: "Scheduled", reason: "Scheduled", message },
        art.metadata.generation,
      ),
    };
    let updated: Artwork;
    try {
      updated = await this.ctx.client.patchStatusOf(ARTWORK, art, status);
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
    // Should this write fail, the binding stands: the artwork controller finishes it (relabel).
    await writeBindingMetadata(this.ctx.client, updated, worker).catch((err: unknown) =>
      this.ctx.log.warn({ artwork: objectKey(art), err: String(err) }, "failed to label bound artwork"),
    );
    this.ctx.metrics.bindLatency.observe(Math.max(0, (now.getTime() - created) / 1000));
    this.ctx.events.record(
      updated,
      "Normal",
      "Scheduled",
      `${message}, model ${choice.model} (${choice.reason})`,
    );
    this.ctx.log.info(
      { artwork: objectKey(art), worker, attempt, model: choice.model, reason: choice.reason },
      "bound artwork to worker",
    );
    return true;
  }
}
