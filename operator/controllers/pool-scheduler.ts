// Binds a pool's pending Artworks to its warm workers. One pass per pool at a time (the work
// queue never runs a key twice at once), so capacity is counted once; an "assumed" record of
// each binding covers the moment before the informer cache shows it, as kube-scheduler does.
import { randomInt } from "node:crypto";
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import { ARTWORK } from "../../crds/api.ts";
import { artworkConditions, isActive, isTerminal } from "../../crds/artwork-conditions.ts";
import { MAX_SEED } from "../../crds/artwork.ts";
import { rfc3339 } from "../../crds/condition.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { ARTWORK_FINALIZER, WORKER_LABEL } from "../../crds/worker-protocol.ts";
import { generatorModels, learningStateName, objectKey, type OperatorContext } from "../context.ts";
import { chooseModel, type Choice } from "../learning/bandit.ts";
import type { ObjectKey, ReconcileResult } from "../../lib/kube/controller.ts";
import { isConflict, isNotFound } from "../../lib/kube/kube-errors.ts";
import { chooseWorker, queueOrder } from "../scheduling/placement.ts";
import type { WorkerRegistry } from "../scheduling/worker-registry.ts";

/** Waiting marks written at once; enough to hide round trips, few enough not to flood the apiserver. */
const MARK_WAITING_BATCH = 32;

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

export class PoolScheduler {
  private readonly assumed = new Map<string, Assumed>();
  /** Waiting marks written from a version the cache still shows: not written twice meanwhile. */
  private readonly marking = new Map<string, string | undefined>();

  constructor(
    private readonly ctx: OperatorContext,
    private readonly workers: WorkerRegistry,
    private readonly requeue: (pool: ObjectKey) => void,
  ) {}

  /** Forgets an assumption once the cache shows the binding (or something newer). */
  observe(art: Artwork) {
    const key = objectKey(art);
    const a = this.assumed.get(key);
    if (a && (art.status?.attempt ?? 0) >= a.attempt) this.assumed.delete(key);
    if (this.marking.get(key) !== art.metadata.resourceVersion) this.marking.delete(key);
  }

  /** Drops what was kept about a deleted Artwork. */
  forget(art: Artwork) {
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
    const workers = this.workers.forPool(key.namespace, key.name);
    const artworks = this.ctx.caches.artworks
      .list(key.namespace)
      .filter((a) => a.spec.poolRef.name === key.name && !a.metadata.deletionTimestamp);

    const inFlight = new Map<string, number>();
    const pending: Artwork[] = [];
    for (const art of artworks) {
      const worker = this.boundWorker(art);
      if (worker) inFlight.set(worker, (inFlight.get(worker) ?? 0) + 1);
      else if (!isTerminal(art.status?.phase)) pending.push(art);
    }
    pending.sort(queueOrder);

    const generators = generatorModels(pool);
    const learning = this.ctx.caches.learning.get(key.namespace, learningStateName(pool));
    const waiting: Artwork[] = [];
    for (const art of pending) {
      if (art.spec.model && !generators.includes(art.spec.model)) continue;
      const choice = this.modelFor(art, generators, learning);
      const worker = chooseWorker(workers, inFlight, choice.model);
      if (!worker) {
        waiting.push(art);
        continue;
      }
      // As kube-scheduler's binding cycle: the placement is assumed at once, so this pass and the
      // next count it, and the writes go on without holding the pass (nor the next binding).
      this.assumed.set(objectKey(art), { worker: worker.id, attempt: (art.status?.attempt ?? 0) + 1 });
      inFlight.set(worker.id, (inFlight.get(worker.id) ?? 0) + 1);
      void this.bind(art, worker.id, choice, learning).then(
        // Changed or gone since the cache saw it: the watch event that shows it brings the next pass.
        (bound) => bound || this.assumed.delete(objectKey(art)),
        (err: unknown) => {
          this.ctx.log.warn(
            { artwork: objectKey(art), err: String(err) },
            "failed to bind artwork; will retry",
          );
          this.assumed.delete(objectKey(art));
          this.requeue(key);
        },
      );
    }
    this.ctx.metrics.queueDepth.set({ namespace: key.namespace, pool: key.name }, waiting.length);
    this.ctx.metrics.activeGenerations.set(
      { namespace: key.namespace, pool: key.name },
      [...inFlight.values()].reduce((a, b) => a + b, 0),
    );
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

  private modelFor(
    art: Artwork,
    generators: string[],
    learning: LearningState | undefined,
  ): Choice & { user?: true } {
    if (art.spec.model) return { model: art.spec.model, reason: "exploit", user: true };
    // A retry keeps the model chosen for the first attempt, so the learning signal stays clean.
    if (art.status?.model && generators.includes(art.status.model)) {
      return {
        model: art.status.model,
        reason: art.status.modelReason === "explore" ? "explore" : "exploit",
      };
    }
    return chooseModel(
      learning?.spec ?? {},
      learning?.status?.arms ?? [],
      generators,
      art.spec.mood ?? "neutral",
      new Date(),
    );
  }

  /** Learned steps and guidance for (model, mood) when the spec leaves them out. */
  private learnedParameters(art: Artwork, model: string, learning: LearningState | undefined) {
    const p = learning?.status?.parameters?.find(
      (x) => x.model === model && x.mood === (art.spec.mood ?? "neutral"),
    );
    if (!p || p.steps.count < 3) return {};
    return {
      ...(art.spec.steps === undefined ? { steps: Math.max(1, Math.round(p.steps.mean)) } : {}),
      ...(art.spec.guidanceScale === undefined
        ? { guidanceScale: Math.round(p.guidanceScale.mean * 10) / 10 }
        : {}),
    };
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
      await this.ctx.client.patchStatus(
        ARTWORK,
        art.metadata.namespace ?? "",
        art.metadata.name ?? "",
        status,
        art.metadata.resourceVersion,
      );
    } catch (err) {
      this.marking.delete(objectKey(art));
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  /**
   * Status first (with a resourceVersion precondition, so an Artwork is never bound twice), then
   * the worker label and finalizer that make the worker's watch see it.
   */
  private async bind(
    art: Artwork,
    worker: string,
    choice: Choice & { user?: true },
    learning: LearningState | undefined,
  ): Promise<boolean> {
    const namespace = art.metadata.namespace ?? "";
    const name = art.metadata.name ?? "";
    const attempt = (art.status?.attempt ?? 0) + 1;
    const now = new Date();
    const created = Date.parse(String(art.metadata.creationTimestamp));
    const seed = art.spec.seed ?? art.status?.seed ?? randomInt(0, MAX_SEED);
    const message = `bound to worker ${worker} (attempt ${attempt} of ${art.spec.maxAttempts ?? 3})`;
    const status: ArtworkStatus = {
      phase: "Scheduled",
      message,
      worker,
      attempt,
      model: choice.model,
      modelReason: choice.user ? "user" : choice.reason,
      seed,
      ...this.learnedParameters(art, choice.model, learning),
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
      updated = await this.ctx.client.patchStatus<Artwork>(
        ARTWORK,
        namespace,
        name,
        status,
        art.metadata.resourceVersion,
      );
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
    // No resourceVersion here: the worker's own writes may already have landed, and neither
    // the label nor our finalizer can clobber them (finalizers come from the fresh object).
    // Should this write fail, the binding stands: the artwork controller finishes it (relabel).
    const finalizers = updated.metadata.finalizers ?? [];
    await this.ctx.client
      .patchMetadata(ARTWORK, namespace, name, {
        labels: { [WORKER_LABEL]: worker },
        ...(finalizers.includes(ARTWORK_FINALIZER) ? {} : { finalizers: [...finalizers, ARTWORK_FINALIZER] }),
      })
      .catch((err: unknown) =>
        this.ctx.log.warn(
          { artwork: `${namespace}/${name}`, err: String(err) },
          "failed to label bound artwork",
        ),
      );
    this.ctx.metrics.bindLatency.observe(Math.max(0, (now.getTime() - created) / 1000));
    this.ctx.events.record(
      updated,
      "Normal",
      "Scheduled",
      `${message}, model ${choice.model} (${status.modelReason})`,
    );
    this.ctx.log.info(
      { artwork: `${namespace}/${name}`, worker, attempt, model: choice.model, reason: status.modelReason },
      "bound artwork to worker",
    );
    return true;
  }
}
