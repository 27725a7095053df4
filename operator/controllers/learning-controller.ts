// Folds the reactions of a LearningState's Artworks into its status. The fold and the record of
// what was folded (status.folded, per Artwork) land in one optimistic write, so a reaction counts
// exactly once across restarts and concurrent writers; the Artwork then compacts what was folded
// into counts, and the record is released, so neither object grows with history.
import { API_VERSION, ARTWORK, LEARNING_STATE } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { setCondition } from "../../crds/condition.ts";
import { effectiveSpec } from "../../crds/effective-spec.ts";
import type { LearningState, LearningStateStatus } from "../../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import type { Controller, ReconcileResult, Reconciler } from "../../lib/kube/controller.ts";
import { isConflict, isNotFound } from "../../lib/kube/kube-errors.ts";
import { keyToString, objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import { ObjectSeries } from "../../lib/observability/object-series.ts";
import { generatorModels, learningStateName, type OperatorContext } from "../context.ts";
import { decayedArm } from "../learning/bandit.ts";
import {
  foldedSeq,
  foldReactions,
  parseRecordKey,
  recordKey,
  type ArtworkReactions,
} from "../learning/feedback-fold.ts";
import { lastSeq, readFeedbackLog } from "../learning/feedback-log.ts";
import { feedbackTarget } from "../learning/feedback-target.ts";

/** Artworks folded in one write at most (each is read from the API server first). */
export const MAX_FOLDS_PER_WRITE = 100;
/** Room the fold records may take in status (a record is its key and a number). */
export const MAX_RECORD_BYTES = 40 * 1024;
/** An arm of a model no pool of the LearningState has any more goes once its decayed pulls fall below this. */
export const AGE_OUT_PULLS = 1;

/** What one fold works from, read from the cache: whom to fold, which records to release. */
export interface FoldPlan {
  /** Artworks with reactions to fold here (their cached views: each is read afresh before folding). */
  candidates: Artwork[];
  /** Record keys whose Artwork has compacted past the record. */
  released: string[];
  /** Record keys whose Artwork the cache does not hold: gone, or the cache is behind (a read tells). */
  unknown: Array<{ key: string; name: string; uid: string }>;
  /** Candidates left for the next write (MAX_FOLDS_PER_WRITE, MAX_RECORD_BYTES). */
  more: boolean;
}

const recordBytes = (key: string) => key.length + 16;

/** Plans a fold of `ls` over the cached Artworks of its namespace (pure). */
export function foldPlan(
  ls: LearningState,
  artworks: readonly Artwork[],
  foldsHere: (a: Artwork) => boolean,
): FoldPlan {
  const records = ls.status?.folded ?? {};
  const byName = new Map(artworks.map((a) => [a.metadata.name ?? "", a]));
  const released: string[] = [];
  const unknown: FoldPlan["unknown"] = [];
  let bytes = 0;
  for (const [key, seq] of Object.entries(records)) {
    const { name, uid } = parseRecordKey(key);
    const art = name === undefined ? artworks.find((a) => a.metadata.uid === uid) : byName.get(name);
    if (art?.metadata.uid === uid) {
      if (readFeedbackLog(art).log.through >= seq) released.push(key);
      else bytes += recordBytes(key);
    } else if (name === undefined) {
      // A first-release record names no Artwork: as then, absence from the cache is taken as gone.
      released.push(key);
    } else {
      unknown.push({ key, name, uid });
      bytes += recordBytes(key);
    }
  }
  const candidates: Artwork[] = [];
  let more = false;
  for (const art of artworks) {
    if (!art.status?.model || !art.metadata.uid) continue;
    const { log, problem } = readFeedbackLog(art);
    if (problem || log.pending.length === 0 || !foldsHere(art)) continue;
    if (lastSeq(log) <= Math.max(log.through, foldedSeq(ls.status, art))) continue;
    const added = records[recordKey(art)] === undefined ? recordBytes(recordKey(art)) : 0;
    if (candidates.length >= MAX_FOLDS_PER_WRITE || bytes + added > MAX_RECORD_BYTES) {
      more = true;
      continue;
    }
    bytes += added;
    candidates.push(art);
  }
  return { candidates, released, unknown, more };
}

export interface FoldInputs {
  /** Artworks whose reactions fold here, as read from the API server after `ls` was read. */
  artworks: readonly Artwork[];
  /** Record keys to release: their Artwork has compacted past them, or is gone. */
  released: readonly string[];
  /** The generators of the pools that fold into this LearningState: arms of others age out. */
  models: ReadonlySet<string>;
}

/**
 * The status write that folds the Artworks' new reactions into `ls`, releases records and ages out
 * arms, or undefined when there is nothing to do and the generation is observed (pure).
 */
export function learningPatch(
  ls: LearningState,
  inputs: FoldInputs,
  now: Date,
): { patch: LearningStateStatus; folded: number; released: number; aged: number } | undefined {
  const records = { ...ls.status?.folded };
  for (const key of inputs.released) delete records[key];
  const reactions = inputs.artworks.flatMap((a) => toReactions(a) ?? []);
  const { status, folded } = foldReactions(ls.spec, { ...ls.status, folded: records }, reactions, now);
  const halfLife = ls.spec.decay?.halfLifeHours;
  const keep = (model: string, mood: string) => {
    if (inputs.models.has(model)) return true;
    const arm = status.arms?.find((a) => a.model === model && a.mood === mood);
    return arm !== undefined && decayedArm(arm, now, halfLife).pulls >= AGE_OUT_PULLS;
  };
  const arms = (status.arms ?? []).filter((a) => keep(a.model, a.mood));
  const aged = (status.arms?.length ?? 0) - arms.length;
  const parameters = (status.parameters ?? []).filter((p) => keep(p.model, p.mood));
  const released = inputs.released.length;
  if (
    folded === 0 &&
    released === 0 &&
    aged === 0 &&
    ls.status?.observedGeneration === ls.metadata.generation
  )
    return undefined;
  // A merge patch removes a key only when told to with null.
  const removed = Object.fromEntries(
    Object.keys(ls.status?.folded ?? {})
      .filter((k) => status.folded?.[k] === undefined)
      .map((k) => [k, null]),
  );
  const total = Object.values(status.events ?? {}).reduce((a, b) => a + b, 0);
  const patch: LearningStateStatus = {
    ...status,
    arms,
    parameters,
    folded: { ...status.folded, ...removed } as Record<string, number>,
    observedGeneration: ls.metadata.generation,
    conditions: setCondition(
      ls.status?.conditions,
      {
        type: "Ready",
        status: "True",
        reason: "Folded",
        message: `${total} reactions folded`,
        observedGeneration: ls.metadata.generation,
      },
      now,
    ),
  };
  return { patch, folded, released, aged };
}

export class LearningController implements Reconciler {
  /** Arm gauges per LearningState: arms that age out and deleted LearningStates leave no series. */
  private readonly series = new ObjectSeries();

  constructor(private readonly ctx: OperatorContext) {}

  setup(c: Controller) {
    const { caches } = this.ctx;
    c.watch(caches.learning);
    c.watch(caches.artworks, (a) =>
      a.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION] === undefined
        ? undefined
        : feedbackTarget(a, caches.pools),
    );
  }

  /**
   * Exactly once rests on three rules. (1) A fold reads each Artwork from the API server after
   * reading `ls`, and its write is conditional on `ls` being unchanged: a record this write drops or
   * finds missing was released before `ls` was read, so the Artwork's compaction (which preceded the
   * release) is in what the read returns, and reactions up to `through` are never folded again.
   * (2) A record is released only once an Artwork (any view: `through` only grows) has compacted
   * past it, or the Artwork is gone (read: a cache can be behind). (3) Only the LearningState the
   * log names folds it, and the log names another only once nothing is left unfolded.
   */
  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const ls = this.ctx.caches.learning.get(key.namespace, key.name);
    if (!ls) {
      this.series.release(keyToString(key));
      return this.create(key);
    }
    const { caches, client } = this.ctx;
    const mine = (a: Artwork) => feedbackTarget(a, caches.pools).name === key.name;
    const plan = foldPlan(ls, caches.artworks.list(key.namespace), mine);
    const artworks: Artwork[] = [];
    for (const cached of plan.candidates) {
      const art = await this.read(key.namespace, cached.metadata.name ?? "");
      if (art && art.metadata.uid === cached.metadata.uid && mine(art)) artworks.push(art);
    }
    const released = [...plan.released];
    for (const { key: record, name, uid } of plan.unknown) {
      if ((await this.read(key.namespace, name))?.metadata.uid !== uid) released.push(record);
    }
    const models = new Set(
      caches.pools
        .list(key.namespace)
        .filter((p) => learningStateName(p) === key.name)
        .flatMap((p) => generatorModels(p)),
    );
    const result = learningPatch(ls, { artworks, released, models }, new Date());
    const next = plan.more ? { requeueAfterMs: 100 } : undefined;
    if (!result) return next;
    const { patch, folded } = result;
    // A conflict throws and the key is retried against the fresh cache; nothing is counted twice.
    await client.patchStatusOf(LEARNING_STATE, ls, patch);

    const before = ls.status?.events ?? {};
    for (const [action, n] of Object.entries(patch.events ?? {})) {
      const delta = n - (before[action] ?? 0);
      if (delta > 0) this.ctx.metrics.feedback.inc({ namespace: key.namespace, action }, delta);
    }
    const { learningScore, learningSamples } = this.ctx.metrics;
    this.series.publish(
      keyToString(key),
      (patch.arms ?? []).flatMap((arm) => {
        const labels = {
          namespace: key.namespace,
          learningstate: key.name,
          model: arm.model,
          mood: arm.mood,
        };
        return [
          { gauge: learningScore, labels, value: arm.mean },
          { gauge: learningSamples, labels, value: arm.pulls },
        ];
      }),
    );
    if (folded > 0) this.ctx.events.record(ls, "Normal", "Folded", `folded ${folded} reaction(s)`);
    if (folded > 0 || result.released > 0 || result.aged > 0)
      this.ctx.log.info(
        { learningstate: objectKey(ls), folded, released: result.released, aged: result.aged },
        "folded reactions",
      );
    return next;
  }

  /** The Artwork as the API server has it now, or undefined when it is gone. */
  private async read(namespace: string, name: string) {
    try {
      return await this.ctx.client.get<Artwork>(ARTWORK, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Reactions arrived for a pool whose LearningState nobody created: make one with the defaults
   * (created only now, so a user's own LearningState applied with the pool never races it).
   */
  private async create(key: ObjectKey) {
    try {
      await this.ctx.client.create<LearningState>(LEARNING_STATE, key.namespace, {
        apiVersion: API_VERSION,
        kind: "LearningState",
        metadata: {
          name: key.name,
          namespace: key.namespace,
          labels: { "app.kubernetes.io/managed-by": "aria-operator" },
        },
        spec: {},
      });
      this.ctx.log.info({ learningstate: keyToString(key) }, "created learning state with default policy");
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

function toReactions(art: Artwork): ArtworkReactions | undefined {
  const { log } = readFeedbackLog(art);
  const model = art.status?.model;
  if (log.pending.length === 0 || !model || !art.metadata.uid) return undefined;
  return {
    key: recordKey(art),
    uid: art.metadata.uid,
    model,
    mood: effectiveSpec(art.spec).mood,
    prompt: art.spec.prompt,
    steps: art.status?.steps ?? art.spec.steps,
    guidanceScale: art.status?.guidanceScale ?? art.spec.guidanceScale,
    through: log.through,
    log: log.pending,
  };
}
