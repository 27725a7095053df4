// The Artwork lifecycle around the scheduler: checks what admission cannot (pool, model), puts
// Artworks of lost workers back in the queue, times them out, hands reactions to the feedback
// intake, and on deletion records the delete reaction and removes stored images.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import { artworkConditions, isActive, isTerminal, type PhaseChange } from "../../crds/artwork-conditions.ts";
import { isConditionTrue } from "../../crds/condition.ts";
import { effectiveSpec } from "../../crds/effective-spec.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import { ARTWORK_FINALIZER, FEEDBACK_ANNOTATION, WORKER_LABEL } from "../../crds/worker-protocol.ts";
import type { Controller, ReconcileResult, Reconciler } from "../../lib/kube/controller.ts";
import { isNotFound } from "../../lib/kube/kube-errors.ts";
import { keyOf, objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import type { ImageStore } from "../../lib/storage/image-store.ts";
import { changedBeyondProgress, generatorModels, poolKeyOf, type OperatorContext } from "../context.ts";
import { deletionStep, FeedbackIntake } from "../learning/feedback-intake.ts";
import { writeBindingMetadata } from "../scheduling/artwork-binding.ts";
import { isAlive, type WorkerView } from "../scheduling/worker-view.ts";

/** How long after binding a missing worker label is left to the scheduler's own write. */
export const RELABEL_GRACE_MS = 5_000;
/** The shortest wait before looking at an Artwork again. */
const MIN_REQUEUE_MS = 250;

/** The one write a reconcile of a live Artwork decides on, if any. */
export type ArtworkWrite =
  | { kind: "wait"; change: PhaseChange }
  | { kind: "fail"; reason: "Timeout" | "WorkerLost"; message: string }
  | { kind: "retry"; worker: string; attempt: number; message: string }
  | { kind: "relabel"; worker: string };

export interface ArtworkDecision {
  write?: ArtworkWrite;
  /** The pool's scheduler should look: the Artwork is waiting to be bound, or its slot came free. */
  schedule?: boolean;
  requeueAfterMs?: number;
}

/**
 * What to do about an Artwork that is neither deleted nor finished, given the cache: its pool
 * (undefined when missing) and the worker its attempt is bound to (undefined when unknown).
 */
export function decideArtwork(
  art: Artwork,
  pool: ModelPool | undefined,
  worker: WorkerView | undefined,
  now: number,
): ArtworkDecision {
  const namespace = art.metadata.namespace ?? "";
  const spec = effectiveSpec(art.spec);
  const status = art.status ?? {};
  if (!pool) {
    const message = `spec.poolRef.name: ModelPool "${art.spec.poolRef.name}" does not exist in namespace "${namespace}"`;
    return {
      write: { kind: "wait", change: { phase: "Pending", reason: "PoolNotFound", message, stalled: true } },
    };
  }
  const generators = generatorModels(pool);
  if (art.spec.model && !generators.includes(art.spec.model)) {
    const message = `spec.model: "${art.spec.model}" is not a generator of ModelPool "${pool.metadata.name}"; it has: ${generators.join(", ")}`;
    return {
      write: { kind: "wait", change: { phase: "Pending", reason: "ModelNotInPool", message, stalled: true } },
    };
  }

  const deadline = status.startTime ? Date.parse(status.startTime) + spec.timeoutSeconds * 1000 : undefined;
  if (deadline !== undefined && now >= deadline) {
    const message = `did not finish within spec.timeoutSeconds (${spec.timeoutSeconds}s)`;
    return { write: { kind: "fail", reason: "Timeout", message } };
  }
  const untilDeadline = deadline === undefined ? Infinity : deadline - now;

  if (isActive(status.phase) && status.worker) {
    if (!worker || !isAlive(worker, now)) {
      const attempt = status.attempt ?? 1;
      if (attempt >= spec.maxAttempts) {
        const message = `worker ${status.worker} stopped responding during attempt ${attempt} of spec.maxAttempts=${spec.maxAttempts}`;
        return { write: { kind: "fail", reason: "WorkerLost", message } };
      }
      const message = `worker ${status.worker} stopped responding during attempt ${attempt}; waiting for attempt ${attempt + 1} of ${spec.maxAttempts}`;
      return { write: { kind: "retry", worker: status.worker, attempt, message } };
    }
    // The scheduler's own label write is normally a moment behind its status write; repair only
    // one that has not landed after a grace period, rather than race it with a copy.
    let untilRelabel = Infinity;
    if (art.metadata.labels?.[WORKER_LABEL] !== status.worker) {
      untilRelabel = Date.parse(status.scheduledTime ?? "") + RELABEL_GRACE_MS - now;
      if (!(untilRelabel > 0)) {
        return {
          write: { kind: "relabel", worker: status.worker },
          requeueAfterMs: requeueDelay(worker.expiresAt - now + MIN_REQUEUE_MS, untilDeadline),
        };
      }
    }
    return {
      requeueAfterMs: requeueDelay(worker.expiresAt - now + MIN_REQUEUE_MS, untilDeadline, untilRelabel),
    };
  }

  // Unbound: the pool's scheduler binds it (a stalled condition from an earlier problem is cleared there).
  return {
    schedule: true,
    ...(deadline === undefined ? {} : { requeueAfterMs: requeueDelay(untilDeadline) }),
  };
}

function requeueDelay(...delays: number[]) {
  return Math.max(MIN_REQUEUE_MS, Math.min(...delays));
}

function isStalled(a: Artwork) {
  return a.status?.phase === "Pending" && isConditionTrue(a.status.conditions, "Stalled");
}

export class ArtworkController implements Reconciler {
  private readonly store: ImageStore;
  private readonly feedback: FeedbackIntake;

  constructor(private readonly ctx: OperatorContext) {
    this.store = ctx.images;
    this.feedback = new FeedbackIntake(ctx);
  }

  setup(c: Controller) {
    const { caches, workers } = this.ctx;
    c.watch(caches.artworks, undefined, changedBeyondProgress);
    // A pool appearing or changing can unblock Artworks stalled on it (PoolNotFound,
    // ModelNotInPool); the others do not care, and mapping them would multiply reconciles by
    // every pool status update.
    c.watch(caches.pools, (p) =>
      caches.artworks
        .list(p.metadata.namespace)
        .filter((a) => a.spec.poolRef.name === p.metadata.name && isStalled(a))
        .map(keyOf),
    );
    // A fold recorded in a LearningState lets its Artworks compact their logs.
    c.watch(caches.learning, (ls) => this.feedback.toCompact(ls));
    // A lost worker's Artworks go back to the queue.
    workers.onChange((worker, alive) => {
      if (alive) return;
      for (const a of caches.artworks.list(worker.namespace))
        if (a.status?.worker === worker.id) c.enqueue(keyOf(a));
    });
    // aria_generation_requests_total counts each Artwork once, when it is seen reaching a final
    // phase, whoever wrote it (a worker, or this controller timing it out).
    caches.artworks.on("update", (a, old) => {
      if (!this.ctx.isLeader() || isTerminal(old.status?.phase) || !isTerminal(a.status?.phase)) return;
      this.ctx.metrics.requests.inc({
        model: a.status?.model ?? "",
        mood: effectiveSpec(a.spec).mood,
        status: a.status?.phase === "Succeeded" ? "succeeded" : "failed",
      });
    });
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const art = this.ctx.caches.artworks.get(key.namespace, key.name);
    if (!art) return;
    if (art.metadata.deletionTimestamp) return this.finalize(art);
    if (art.metadata.annotations?.[FEEDBACK_ANNOTATION] !== undefined) return this.feedback.take(art);
    const feedback = await this.feedback.sync(art);
    if (isTerminal(art.status?.phase)) return feedback;

    const pool = this.ctx.caches.pools.get(key.namespace, art.spec.poolRef.name);
    const worker = art.status?.worker ? this.ctx.workers.get(key.namespace, art.status.worker) : undefined;
    const decision = decideArtwork(art, pool, worker, Date.now());
    switch (decision.write?.kind) {
      case "wait":
        await this.wait(art, decision.write.change);
        break;
      case "fail":
        await this.fail(art, decision.write.reason, decision.write.message);
        break;
      case "retry":
        await this.retry(art, decision.write.worker, decision.write.attempt, decision.write.message);
        break;
      case "relabel":
        await writeBindingMetadata(this.ctx.client, art, decision.write.worker);
        break;
    }
    if (decision.schedule) this.ctx.enqueue("scheduler", poolKeyOf(art));
    const later = [decision.requeueAfterMs, feedback?.requeueAfterMs].filter((ms) => ms !== undefined);
    if (later.length > 0) return { requeueAfterMs: Math.min(...later) };
  }

  private async writeStatus(art: Artwork, status: ArtworkStatus) {
    await this.ctx.client.patchStatusOf(ARTWORK, art, status);
  }

  /** Records why the Artwork cannot be scheduled; writes only when the reason changes. */
  private async wait(art: Artwork, change: PhaseChange) {
    const ready = art.status?.conditions?.find((c) => c.type === "Ready");
    if (
      art.status?.phase === change.phase &&
      ready?.reason === change.reason &&
      ready.message === change.message
    )
      return;
    await this.writeStatus(art, {
      phase: change.phase,
      message: change.message,
      observedGeneration: art.metadata.generation,
      conditions: artworkConditions(art.status?.conditions, change, art.metadata.generation),
    });
    this.ctx.events.record(art, "Warning", change.reason, change.message);
    this.ctx.log.warn({ artwork: objectKey(art), reason: change.reason }, change.message);
  }

  /**
   * Ends the attempt as well as the Artwork: without status.worker the worker's fenced writes for
   * it are rejected (no progress or late result can undo the failure), and its watch sees the
   * Artwork is no longer its own, so it stops rendering and frees the slot.
   */
  private async fail(art: Artwork, reason: string, message: string) {
    await this.writeStatus(art, {
      phase: "Failed",
      message,
      worker: null as unknown as undefined,
      completionTime: rfc3339(new Date()),
      progress: null as unknown as undefined,
      observedGeneration: art.metadata.generation,
      conditions: artworkConditions(
        art.status?.conditions,
        { phase: "Failed", reason, message },
        art.metadata.generation,
      ),
    });
    this.ctx.events.record(art, "Warning", reason, message);
    this.ctx.log.warn({ artwork: objectKey(art), reason }, `artwork failed: ${message}`);
    this.ctx.enqueue("scheduler", poolKeyOf(art));
  }

  /** The worker's Lease expired: back to the queue for another attempt. */
  private async retry(art: Artwork, worker: string, attempt: number, message: string) {
    const change: PhaseChange = { phase: "Pending", reason: "WorkerLost", message };
    await this.writeStatus(art, {
      phase: "Pending",
      message,
      worker: null as unknown as undefined,
      progress: null as unknown as undefined,
      conditions: artworkConditions(art.status?.conditions, change, art.metadata.generation),
    });
    this.ctx.events.record(art, "Warning", "WorkerLost", message);
    this.ctx.log.warn({ artwork: objectKey(art), worker, attempt }, "requeued artwork of a lost worker");
    this.ctx.enqueue("scheduler", poolKeyOf(art));
  }

  private async finalize(art: Artwork): Promise<ReconcileResult | void> {
    const finalizers = art.metadata.finalizers ?? [];
    if (!finalizers.includes(ARTWORK_FINALIZER)) return;
    switch (deletionStep(art, this.feedback.learningStateOf(art), Date.now())) {
      case "record":
        return this.feedback.recordDeletion(art);
      case "wait":
        this.feedback.foldSoon(art);
        return { requeueAfterMs: 500 };
      case "proceed":
        break;
    }
    if (effectiveSpec(art.spec).retainPolicy === "Delete") await this.deleteImages(art);
    try {
      await this.ctx.client.patchMetadataOf(ARTWORK, art, {
        finalizers: finalizers.filter((f) => f !== ARTWORK_FINALIZER),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.ctx.log.info({ artwork: objectKey(art) }, "released deleted artwork");
  }

  /** Deletes stored images no other Artwork refers to (storage is content-addressed, so renders can coincide). */
  private async deleteImages(art: Artwork) {
    const uris = new Set(storedUris(art));
    if (uris.size === 0) return;
    for (const other of this.ctx.caches.artworks.list()) {
      if (other.metadata.uid !== art.metadata.uid) for (const uri of storedUris(other)) uris.delete(uri);
    }
    for (const uri of uris) {
      try {
        await this.store.delete(uri);
      } catch (err) {
        this.ctx.log.warn(
          { artwork: objectKey(art), uri, err: String(err) },
          "could not delete a stored image",
        );
      }
    }
    this.ctx.log.info({ artwork: objectKey(art), images: uris.size }, "deleted stored images");
  }
}

function storedUris(art: Artwork): string[] {
  return [
    ...(art.status?.candidates ?? []).map((c) => c.uri),
    ...(art.status?.selected?.images ?? []).map((i) => i.uri),
  ];
}
