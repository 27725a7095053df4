// How reactions get into an Artwork's numbered feedback log: from the annotation a person (or the
// feedback API) sets, and from the Artwork's deletion, which counts as a "delete" reaction and is
// folded into learning before the Artwork and its log are gone.
import { ARTWORK, LEARNING_STATE } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { findCondition, setCondition } from "../../crds/condition.ts";
import { FEEDBACK_ACTIONS, type LearningState } from "../../crds/learning-state.ts";
import {
  FEEDBACK_ANNOTATION,
  FEEDBACK_LOG_ANNOTATION,
  FEEDBACK_REQUEST_ANNOTATION,
} from "../../crds/worker-protocol.ts";
import { LRUCache } from "lru-cache";
import type { ReconcileResult } from "../../lib/kube/controller.ts";
import { isNotFound } from "../../lib/kube/kube-errors.ts";
import { objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import { learningStateKeyOf, type OperatorContext } from "../context.ts";
import { foldedSeq, parseRecordKey } from "./feedback-fold.ts";
import {
  appendDeletion,
  appendReactions,
  compactLog,
  feedbackLog,
  hasRequest,
  isFeedbackAction,
  reactionCounts,
  readFeedbackLog,
  serializeLog,
  type FeedbackLog,
} from "./feedback-log.ts";
import { feedbackTarget } from "./feedback-target.ts";

/** The Artwork condition that says whether its feedback log can be read. */
export const FEEDBACK_LOG_CONDITION = "FeedbackLogValid";

/** How long deletion waits for the delete reaction to be folded before going ahead without it. */
export const FOLD_WAIT_MS = 60_000;

/** How soon a reaction left in the annotation is looked at again while the log is full. */
export const FULL_LOG_RETRY_MS = 1_000;

/**
 * How often status.feedback is rewritten at most per Artwork: under a burst of reactions each
 * rewrite would cost the API server a write and make the writers of the log conflict.
 */
export const MIRROR_INTERVAL_MS = 1_000;

/** What the finalizer does about learning before an Artwork goes. */
export type DeletionStep = "record" | "wait" | "proceed";

/**
 * A rendered (Succeeded) Artwork's deletion is recorded as a reaction once, then waits (at most
 * FOLD_WAIT_MS after deletion began) until the LearningState its log names has folded it.
 * `learning` is that LearningState.
 */
export function deletionStep(art: Artwork, learning: LearningState | undefined, now: number): DeletionStep {
  if (art.status?.phase !== "Succeeded" || art.status.model === undefined) return "proceed";
  const log = feedbackLog(art);
  if (log.deletion === undefined) return "record";
  const waited = now - Date.parse(String(art.metadata.deletionTimestamp));
  // Gone, the Artwork can be folded no more, so its record need not be released first.
  const folded = !learning || Math.max(log.through, foldedSeq(learning.status, art)) >= log.deletion;
  return folded || waited >= FOLD_WAIT_MS ? "proceed" : "wait";
}

/**
 * The log after compacting what `learning` (the LearningState it names) has folded; with nothing
 * left unfolded, or that LearningState gone (`learning` undefined and `gone`), it names `target`
 * for what comes next (pure). Undefined when nothing changes.
 */
export function settledLog(
  log: FeedbackLog,
  art: Artwork,
  learning: LearningState | undefined,
  target: string,
  gone = false,
): FeedbackLog | undefined {
  const compacted = compactLog(log, foldedSeq(learning?.status, art));
  // Safe to re-point: every reaction is compacted, so no LearningState can fold one of them again;
  // or the one that could is gone, with whatever it folded.
  const free = compacted.pending.length === 0 || (learning === undefined && gone);
  if (free && compacted.into !== undefined && compacted.into !== target)
    return { ...compacted, into: target };
  return compacted === log ? undefined : compacted;
}

function unreadable(problem: string) {
  return `${problem}; its reactions are not counted until it is fixed`;
}

export class FeedbackIntake {
  /** When status.feedback was last written, per Artwork UID, for MIRROR_INTERVAL_MS. */
  private readonly mirrored = new LRUCache<string, number>({ max: 10_000, ttl: MIRROR_INTERVAL_MS });

  constructor(private readonly ctx: OperatorContext) {}

  /**
   * Moves the reaction from the annotation into the log in one optimistic write; while the log is
   * full the annotation stays (kubectl annotate without --overwrite waits on it) and is looked at again.
   */
  async take(art: Artwork): Promise<ReconcileResult | void> {
    const value = (art.metadata.annotations?.[FEEDBACK_ANNOTATION] ?? "").trim().toLowerCase();
    const request = art.metadata.annotations?.[FEEDBACK_REQUEST_ANNOTATION];
    const annotations: Record<string, string | null> = {
      [FEEDBACK_ANNOTATION]: null,
      [FEEDBACK_REQUEST_ANNOTATION]: null,
    };
    if (isFeedbackAction(value)) {
      const { log, problem } = readFeedbackLog(art);
      // An unreadable log is reported by sync and left as it is, with the reaction waiting beside it.
      if (problem) return this.sync(art);
      const current = compactLog(log, foldedSeq(this.learningStateOf(art)?.status, art));
      if (request === undefined || !hasRequest(current, request)) {
        const into = learningStateKeyOf(art, this.ctx.caches.pools).name;
        const appended = appendReactions(
          current,
          [{ action: value, time: new Date(), source: request }],
          into,
        );
        if (appended.taken === 0) {
          this.foldSoon(art);
          return { requeueAfterMs: FULL_LOG_RETRY_MS };
        }
        annotations[FEEDBACK_LOG_ANNOTATION] = serializeLog(appended.log);
      }
    }
    await this.patchAnnotations(art, annotations);
    if (isFeedbackAction(value)) {
      this.ctx.log.info(
        { artwork: objectKey(art), action: value },
        "took a reaction from the feedback annotation",
      );
      this.foldSoon(art);
    } else {
      const message = `${FEEDBACK_ANNOTATION}: "${value}" is not one of ${FEEDBACK_ACTIONS.join(", ")}; the reaction was dropped`;
      this.ctx.events.record(art, "Warning", "InvalidFeedback", message);
      this.ctx.log.warn({ artwork: objectKey(art) }, message);
    }
  }

  /**
   * Compacts what the LearningState has folded, so the log holds only unfolded reactions; and
   * status.feedback mirrors the log, so `kubectl get -o yaml` shows the reactions an Artwork got.
   * A log edited into something unreadable is reported on the Artwork (a condition and an Event)
   * and skipped, so it stops neither learning from the others nor this Artwork's deletion.
   */
  async sync(art: Artwork): Promise<ReconcileResult | void> {
    const { log, problem } = readFeedbackLog(art);
    const reported = findCondition(art.status?.conditions, FEEDBACK_LOG_CONDITION);
    if (problem && (reported?.status !== "False" || reported.message !== unreadable(problem))) {
      await this.reportLog(art, problem);
      return;
    }
    if (!problem && reported?.status === "False") await this.reportLog(art, undefined);
    if (problem || art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION] === undefined) return;
    const learning = this.learningStateOf(art);
    const target = learningStateKeyOf(art, this.ctx.caches.pools).name;
    const orphaned = !learning && log.into !== undefined && log.into !== target && log.pending.length > 0;
    const settled = settledLog(log, art, learning, target, orphaned && (await this.isGone(art, log.into!)));
    if (settled) {
      // Conditional on the Artwork unchanged, so reactions appended meanwhile are not lost.
      await this.patchAnnotations(art, { [FEEDBACK_LOG_ANNOTATION]: serializeLog(settled) });
      return;
    }
    const counts = reactionCounts(log);
    const current = art.status?.feedback;
    if (current && Object.entries(counts).every(([k, v]) => current[k as keyof typeof counts] === v)) return;
    const uid = art.metadata.uid ?? "";
    const last = this.mirrored.get(uid);
    if (last !== undefined) return { requeueAfterMs: Math.max(1, last + MIRROR_INTERVAL_MS - Date.now()) };
    this.mirrored.set(uid, Date.now());
    // No resourceVersion precondition: only this controller writes status.feedback, always from the
    // whole log, and one key is never reconciled twice at once, so a write cannot go backwards.
    // With one, every reaction arriving meanwhile (a new annotation) made it conflict and back off.
    await this.ctx.client.patchStatus(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", {
      feedback: counts,
    });
  }

  private async reportLog(art: Artwork, problem: string | undefined) {
    const conditions = setCondition(art.status?.conditions, {
      type: FEEDBACK_LOG_CONDITION,
      status: problem ? "False" : "True",
      reason: problem ? "InvalidFeedbackLog" : "Valid",
      message: problem ? unreadable(problem) : "the log is readable",
      ...(art.metadata.generation !== undefined ? { observedGeneration: art.metadata.generation } : {}),
    });
    await this.ctx.client.patchStatusOf(ARTWORK, art, { conditions });
    if (problem) {
      this.ctx.events.record(art, "Warning", "InvalidFeedbackLog", problem);
      this.ctx.log.warn({ artwork: objectKey(art) }, `skipped an unreadable feedback log: ${problem}`);
    }
  }

  /** The deletion of a rendered Artwork, recorded as a "delete" reaction. */
  async recordDeletion(art: Artwork) {
    const into = learningStateKeyOf(art, this.ctx.caches.pools).name;
    const log = appendDeletion(feedbackLog(art), into, new Date());
    await this.patchAnnotations(art, { [FEEDBACK_LOG_ANNOTATION]: serializeLog(log) });
    this.ctx.log.info({ artwork: objectKey(art) }, "recorded deletion as a reaction");
    this.foldSoon(art);
  }

  /** The LearningState that folds the Artwork's reactions, if it exists. */
  learningStateOf(art: Artwork): LearningState | undefined {
    const key = feedbackTarget(art, this.ctx.caches.pools);
    return this.ctx.caches.learning.get(key.namespace, key.name);
  }

  /** Whether the LearningState `name` is gone (read: the cache may just not have it yet). */
  private async isGone(art: Artwork, name: string) {
    try {
      await this.ctx.client.get(LEARNING_STATE, art.metadata.namespace ?? "", name);
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  /** Asks the learning controller to fold the Artwork's log. */
  foldSoon(art: Artwork) {
    this.ctx.enqueue("learningstate", feedbackTarget(art, this.ctx.caches.pools));
  }

  /** The Artworks a LearningState has folded reactions of that they have not compacted yet. */
  toCompact(ls: LearningState): ObjectKey[] {
    const namespace = ls.metadata.namespace ?? "";
    return Object.entries(ls.status?.folded ?? {}).flatMap(([key, seq]) => {
      const { name } = parseRecordKey(key);
      const art = name === undefined ? undefined : this.ctx.caches.artworks.get(namespace, name);
      return art && feedbackLog(art).through < seq ? [{ namespace, name: name! }] : [];
    });
  }

  private async patchAnnotations(art: Artwork, annotations: Record<string, string | null>) {
    await this.ctx.client.patchMetadataOf(ARTWORK, art, { annotations });
  }
}
