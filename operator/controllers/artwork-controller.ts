// The Artwork lifecycle around the scheduler: checks what admission cannot (pool, model), puts
// Artworks of lost workers back in the queue, times them out, takes reactions from the feedback
// annotation into the numbered log, and on deletion folds the delete reaction and removes images.
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import { ARTWORK } from "../../crds/api.ts";
import { artworkConditions, isActive, isTerminal, type PhaseChange } from "../../crds/artwork-conditions.ts";
import { FEEDBACK_ACTIONS, type FeedbackAction } from "../../crds/learning-state.ts";
import {
  ARTWORK_FINALIZER,
  FEEDBACK_ANNOTATION,
  FEEDBACK_LOG_ANNOTATION,
  FEEDBACK_REQUEST_ANNOTATION,
  WORKER_LABEL,
  type FeedbackLogEntry,
} from "../../crds/worker-protocol.ts";
import { DirectoryStore } from "../../lib/storage/directory-store.ts";
import { generatorModels, learningStateName, objectKey, type OperatorContext } from "../context.ts";
import type { ObjectKey, ReconcileResult } from "../../lib/kube/controller.ts";
import { isNotFound } from "../../lib/kube/kube-errors.ts";
import { isAlive } from "../scheduling/worker-view.ts";
import type { WorkerRegistry } from "../scheduling/worker-registry.ts";

/** How long after binding a missing worker label is left to the scheduler's own write. */
const RELABEL_GRACE_MS = 5_000;

/** How long deletion waits for the delete reaction to be folded before going ahead without it. */
const FOLD_WAIT_MS = 60_000;

export function feedbackLog(art: Artwork): FeedbackLogEntry[] {
  try {
    const raw = art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION];
    return raw ? (JSON.parse(raw) as FeedbackLogEntry[]) : [];
  } catch {
    return [];
  }
}

/**
 * Whether an update means anything to the lifecycle: a worker's progress writes (many per render)
 * change nothing it decides on, so they do not cost a reconcile each.
 */
export function changedBeyondProgress(obj: Artwork, old: Artwork): boolean {
  return withoutProgress(obj) !== withoutProgress(old);
}

/** Three controllers ask about every update; each cached object is serialised once. */
const progressFree = new WeakMap<Artwork, string>();

function withoutProgress(art: Artwork): string {
  let text = progressFree.get(art);
  if (text === undefined) {
    const { resourceVersion: _version, managedFields: _fields, ...metadata } = art.metadata;
    const { progress: _progress, ...status } = art.status ?? {};
    text = JSON.stringify({ ...art, metadata, status });
    progressFree.set(art, text);
  }
  return text;
}

export function isFeedbackAction(value: string): value is FeedbackAction {
  return (FEEDBACK_ACTIONS as readonly string[]).includes(value);
}

export class ArtworkLifecycle {
  private readonly store: DirectoryStore;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly workers: WorkerRegistry,
    private readonly enqueuePool: (key: ObjectKey) => void,
    private readonly enqueueLearning: (key: ObjectKey) => void,
  ) {
    this.store = new DirectoryStore(ctx.config.storageDir);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const art = this.ctx.caches.artworks.get(key.namespace, key.name);
    if (!art) return;
    if (art.metadata.deletionTimestamp) return this.finalize(art);
    if (art.metadata.annotations?.[FEEDBACK_ANNOTATION] !== undefined) return this.takeFeedback(art);
    await this.syncFeedbackCounts(art);

    const status = art.status ?? {};
    if (isTerminal(status.phase)) return;

    const pool = this.ctx.caches.pools.get(key.namespace, art.spec.poolRef.name);
    if (!pool) {
      return this.wait(art, {
        phase: "Pending",
        reason: "PoolNotFound",
        message: `spec.poolRef.name: ModelPool "${art.spec.poolRef.name}" does not exist in namespace "${key.namespace}"`,
        stalled: true,
      });
    }
    const generators = generatorModels(pool);
    if (art.spec.model && !generators.includes(art.spec.model)) {
      return this.wait(art, {
        phase: "Pending",
        reason: "ModelNotInPool",
        message: `spec.model: "${art.spec.model}" is not a generator of ModelPool "${pool.metadata.name}"; it has: ${generators.join(", ")}`,
        stalled: true,
      });
    }

    const deadline = this.deadline(art);
    if (deadline !== undefined && Date.now() >= deadline) return this.timeOut(art);

    if (isActive(status.phase) && status.worker) {
      const worker = this.workers.get(key.namespace, status.worker);
      if (!worker || !isAlive(worker)) return this.workerLost(art, status.worker);
      let relabelAt = Infinity;
      if (art.metadata.labels?.[WORKER_LABEL] !== status.worker) {
        // The scheduler's own label write is normally a moment behind its status write; repair
        // only one that has not landed after a grace period, rather than race it with a copy.
        relabelAt = Date.parse(status.scheduledTime ?? "") + RELABEL_GRACE_MS;
        if (!(Date.now() < relabelAt)) {
          await this.relabel(art, status.worker);
          relabelAt = Infinity;
        }
      }
      const next = Math.min(
        worker.expiresAt - Date.now() + 250,
        deadline === undefined ? Infinity : deadline - Date.now(),
        relabelAt - Date.now(),
      );
      return { requeueAfterMs: Math.max(250, next) };
    }

    // Unbound: the pool's scheduler binds it (a stalled condition from an earlier problem is cleared there).
    this.enqueuePool({ namespace: key.namespace, name: pool.metadata.name ?? "" });
    return deadline === undefined ? undefined : { requeueAfterMs: Math.max(250, deadline - Date.now()) };
  }

  /**
   * The binding's second write (the label the worker watches, and the finalizer) has not landed:
   * finish it. Writing exactly what the scheduler writes means that whichever of the two lands
   * second changes nothing, and the apiserver stores no new version for it.
   */
  private async relabel(art: Artwork, worker: string) {
    const finalizers = art.metadata.finalizers ?? [];
    await this.ctx.client.patchMetadata(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", {
      labels: { [WORKER_LABEL]: worker },
      ...(finalizers.includes(ARTWORK_FINALIZER) ? {} : { finalizers: [...finalizers, ARTWORK_FINALIZER] }),
    });
  }

  private deadline(art: Artwork) {
    const start = art.status?.startTime;
    if (!start) return undefined;
    return Date.parse(start) + (art.spec.timeoutSeconds ?? 900) * 1000;
  }

  private async writeStatus(art: Artwork, status: ArtworkStatus) {
    await this.ctx.client.patchStatus(
      ARTWORK,
      art.metadata.namespace ?? "",
      art.metadata.name ?? "",
      status,
      art.metadata.resourceVersion,
    );
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

  private async fail(art: Artwork, reason: string, message: string) {
    await this.writeStatus(art, {
      phase: "Failed",
      message,
      completionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      progress: null as unknown as undefined,
      observedGeneration: art.metadata.generation,
      conditions: artworkConditions(
        art.status?.conditions,
        { phase: "Failed", reason, message },
        art.metadata.generation,
      ),
    });
    this.ctx.metrics.requests.inc({
      model: art.status?.model ?? "",
      mood: art.spec.mood ?? "neutral",
      status: "failed",
    });
    this.ctx.events.record(art, "Warning", reason, message);
    this.ctx.log.warn({ artwork: objectKey(art), reason }, `artwork failed: ${message}`);
    this.enqueuePool({ namespace: art.metadata.namespace ?? "", name: art.spec.poolRef.name });
  }

  private async timeOut(art: Artwork) {
    const t = art.spec.timeoutSeconds ?? 900;
    await this.fail(art, "Timeout", `did not finish within spec.timeoutSeconds (${t}s)`);
  }

  /** The worker's Lease expired: back to the queue for another attempt, or failed after the last. */
  private async workerLost(art: Artwork, worker: string) {
    const attempt = art.status?.attempt ?? 1;
    const max = art.spec.maxAttempts ?? 3;
    if (attempt >= max) {
      return this.fail(
        art,
        "WorkerLost",
        `worker ${worker} stopped responding during attempt ${attempt} of spec.maxAttempts=${max}`,
      );
    }
    const message = `worker ${worker} stopped responding during attempt ${attempt}; waiting for attempt ${attempt + 1} of ${max}`;
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
    this.enqueuePool({ namespace: art.metadata.namespace ?? "", name: art.spec.poolRef.name });
  }

  /** Moves the reaction from the annotation into the numbered log in one optimistic write. */
  private async takeFeedback(art: Artwork) {
    const value = (art.metadata.annotations?.[FEEDBACK_ANNOTATION] ?? "").trim().toLowerCase();
    const log = feedbackLog(art);
    const request = art.metadata.annotations?.[FEEDBACK_REQUEST_ANNOTATION];
    const annotations: Record<string, string | null> = {
      [FEEDBACK_ANNOTATION]: null,
      [FEEDBACK_REQUEST_ANNOTATION]: null,
    };
    if (isFeedbackAction(value)) {
      const seq = (log.at(-1)?.seq ?? 0) + 1;
      const entry = {
        seq,
        action: value,
        time: new Date().toISOString(),
        ...(request ? { source: request } : {}),
      };
      annotations[FEEDBACK_LOG_ANNOTATION] = JSON.stringify([...log, entry]);
    }
    await this.ctx.client.patchMetadata(
      ARTWORK,
      art.metadata.namespace ?? "",
      art.metadata.name ?? "",
      { annotations },
      art.metadata.resourceVersion,
    );
    if (isFeedbackAction(value)) {
      this.ctx.log.info(
        { artwork: objectKey(art), action: value },
        "took a reaction from the feedback annotation",
      );
      this.enqueueLearningFor(art);
    } else {
      const message = `${FEEDBACK_ANNOTATION}: "${value}" is not one of ${FEEDBACK_ACTIONS.join(", ")}; the reaction was dropped`;
      this.ctx.events.record(art, "Warning", "InvalidFeedback", message);
      this.ctx.log.warn({ artwork: objectKey(art) }, message);
    }
  }

  private enqueueLearningFor(art: Artwork) {
    const pool = this.ctx.caches.pools.get(art.metadata.namespace ?? "", art.spec.poolRef.name);
    const name = pool ? learningStateName(pool) : art.spec.poolRef.name;
    this.enqueueLearning({ namespace: art.metadata.namespace ?? "", name });
  }

  /** status.feedback mirrors the log, so `kubectl get -o yaml` shows the reactions an Artwork got. */
  private async syncFeedbackCounts(art: Artwork) {
    const log = feedbackLog(art);
    if (log.length === 0) return;
    const counts = { like: 0, love: 0, download: 0, share: 0, delete: 0 };
    for (const e of log) if (isFeedbackAction(e.action)) counts[e.action]++;
    const current = art.status?.feedback;
    if (current && Object.entries(counts).every(([k, v]) => current[k as FeedbackAction] === v)) return;
    // No resourceVersion precondition: only this controller writes status.feedback, always from the
    // whole log, and one key is never reconciled twice at once, so a write cannot go backwards.
    // With one, every reaction arriving meanwhile (a new annotation) made it conflict and back off.
    await this.ctx.client.patchStatus(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", {
      feedback: counts,
    });
  }

  private async finalize(art: Artwork): Promise<ReconcileResult | void> {
    const finalizers = art.metadata.finalizers ?? [];
    if (!finalizers.includes(ARTWORK_FINALIZER)) return;
    const namespace = art.metadata.namespace ?? "";
    const name = art.metadata.name ?? "";
    const log = feedbackLog(art);
    const rendered = art.status?.model !== undefined;
    const waited = Date.now() - Date.parse(String(art.metadata.deletionTimestamp));

    if (rendered && !log.some((e) => e.action === "delete")) {
      const seq = (log.at(-1)?.seq ?? 0) + 1;
      const entry = { seq, action: "delete", time: new Date().toISOString() };
      await this.ctx.client.patchMetadata(
        ARTWORK,
        namespace,
        name,
        { annotations: { [FEEDBACK_LOG_ANNOTATION]: JSON.stringify([...log, entry]) } },
        art.metadata.resourceVersion,
      );
      this.ctx.log.info({ artwork: `${namespace}/${name}` }, "recorded deletion as a reaction");
      this.enqueueLearningFor(art);
      return;
    }
    if (rendered && log.length > 0 && waited < FOLD_WAIT_MS && !this.folded(art, log.at(-1)!.seq)) {
      this.enqueueLearningFor(art);
      return { requeueAfterMs: 500 };
    }

    if ((art.spec.retainPolicy ?? "Delete") === "Delete") await this.deleteImages(art);
    const remaining = finalizers.filter((f) => f !== ARTWORK_FINALIZER);
    try {
      await this.ctx.client.patchMetadata(
        ARTWORK,
        namespace,
        name,
        { finalizers: remaining },
        art.metadata.resourceVersion,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.ctx.log.info({ artwork: `${namespace}/${name}` }, "released deleted artwork");
  }

  private folded(art: Artwork, seq: number) {
    const pool = this.ctx.caches.pools.get(art.metadata.namespace ?? "", art.spec.poolRef.name);
    const ls = pool && this.ctx.caches.learning.get(art.metadata.namespace ?? "", learningStateName(pool));
    if (!ls) return true;
    return (ls.status?.folded?.[art.metadata.uid ?? ""] ?? 0) >= seq;
  }

  /** Deletes stored images no other Artwork refers to (storage is content-addressed, so renders can coincide). */
  private async deleteImages(art: Artwork) {
    const uris = new Set<string>();
    for (const c of art.status?.candidates ?? []) uris.add(c.uri);
    for (const i of art.status?.selected?.images ?? []) uris.add(i.uri);
    if (uris.size === 0) return;
    for (const other of this.ctx.caches.artworks.list()) {
      if (other.metadata.uid === art.metadata.uid) continue;
      for (const c of other.status?.candidates ?? []) uris.delete(c.uri);
      for (const i of other.status?.selected?.images ?? []) uris.delete(i.uri);
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
