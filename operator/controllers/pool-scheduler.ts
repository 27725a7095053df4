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
import type { ObjectKey, ReconcileResult } from "../runtime/controller.ts";
import { isConflict, isNotFound } from "../runtime/kube-errors.ts";
import { chooseWorker, queueOrder } from "../scheduling/placement.ts";
import type { WorkerRegistry } from "../scheduling/worker-registry.ts";

/** Waiting marks written at once; enough to hide round trips, few enough not to flood the apiserver. */
const MARK_WAITING_BATCH = 32;

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

interface Assumed {
  worker: string;
  attempt: number;
}

export class PoolScheduler {
  private readonly assumed = new Map<string, Assumed>();

  constructor(
    private readonly ctx: OperatorContext,
    private readonly workers: WorkerRegistry,
  ) {}

  /** Forgets an assumption once the cache shows the binding (or something newer). */
  observe(art: Artwork) {
    const key = objectKey(art);
    const a = this.assumed.get(key);
    if (a && (art.status?.attempt ?? 0) >= a.attempt) this.assumed.delete(key);
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
      if (await this.bind(art, worker.id, choice, learning)) {
        inFlight.set(worker.id, (inFlight.get(worker.id) ?? 0) + 1);
      }
    }
    // Bindings first, then the waiting marks, several at a time: a burst of a thousand new
    // Artworks would otherwise hold this pass (and so the next binding) for a thousand
    // sequential writes.
    await inBatches(waiting, MARK_WAITING_BATCH, (art) => this.markWaiting(art, workers.length));
    this.ctx.metrics.queueDepth.set({ namespace: key.namespace, pool: key.name }, waiting.length);
    this.ctx.metrics.activeGenerations.set(
      { namespace: key.namespace, pool: key.name },
      [...inFlight.values()].reduce((a, b) => a + b, 0),
    );
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
    if (
      art.status?.phase === "Pending" &&
      art.status.conditions?.some((c) => c.reason === "WaitingForWorker")
    )
      return;
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
    try {
      await this.ctx.client.patchStatus(
        ARTWORK,
        art.metadata.namespace ?? "",
        art.metadata.name ?? "",
        status,
        art.metadata.resourceVersion,
      );
    } catch (err) {
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
      // Changed since the cache saw it (or gone): the next pass looks again with fresh data.
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
    this.assumed.set(objectKey(art), { worker, attempt });
    // No resourceVersion here: the worker's own writes may already have landed, and neither
    // the label nor our finalizer can clobber them (finalizers come from the fresh object).
    const finalizers = updated.metadata.finalizers ?? [];
    await this.ctx.client.patchMetadata(ARTWORK, namespace, name, {
      labels: { [WORKER_LABEL]: worker },
      ...(finalizers.includes(ARTWORK_FINALIZER) ? {} : { finalizers: [...finalizers, ARTWORK_FINALIZER] }),
    });
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
