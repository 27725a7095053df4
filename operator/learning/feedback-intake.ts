// How reactions get into an Artwork's numbered feedback log: from the annotation a person (or the
// feedback API) sets, and from the Artwork's deletion, which counts as a "delete" reaction and is
// folded into learning before the Artwork and its log are gone.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { findCondition, setCondition } from "../../crds/condition.ts";
import { FEEDBACK_ACTIONS, type LearningState } from "../../crds/learning-state.ts";
import {
  FEEDBACK_ANNOTATION,
  FEEDBACK_LOG_ANNOTATION,
  FEEDBACK_REQUEST_ANNOTATION,
} from "../../crds/worker-protocol.ts";
import { objectKey } from "../../lib/kube/object-key.ts";
import { learningStateKeyOf, type OperatorContext } from "../context.ts";
import {
  appendReaction,
  feedbackLog,
  isFeedbackAction,
  reactionCounts,
  readFeedbackLog,
} from "./feedback-log.ts";

/** The Artwork condition that says whether its feedback log can be read. */
export const FEEDBACK_LOG_CONDITION = "FeedbackLogValid";

/** How long deletion waits for the delete reaction to be folded before going ahead without it. */
export const FOLD_WAIT_MS = 60_000;

/** What the finalizer does about learning before an Artwork goes. */
export type DeletionStep = "record" | "wait" | "proceed";

/**
 * A rendered Artwork's deletion is recorded as a reaction once, then waits (at most FOLD_WAIT_MS
 * after deletion began) until its LearningState has folded the whole log.
 */
export function deletionStep(art: Artwork, learning: LearningState | undefined, now: number): DeletionStep {
  if (art.status?.model === undefined) return "proceed";
  const log = feedbackLog(art);
  if (!log.some((e) => e.action === "delete")) return "record";
  const waited = now - Date.parse(String(art.metadata.deletionTimestamp));
  const folded = !learning || (learning.status?.folded?.[art.metadata.uid ?? ""] ?? 0) >= log.at(-1)!.seq;
  return folded || waited >= FOLD_WAIT_MS ? "proceed" : "wait";
}

function unreadable(problem: string) {
  return `${problem}; its reactions are not counted until it is fixed`;
}

export class FeedbackIntake {
  constructor(private readonly ctx: OperatorContext) {}

  /** Moves the reaction from the annotation into the numbered log in one optimistic write. */
  async take(art: Artwork) {
    const value = (art.metadata.annotations?.[FEEDBACK_ANNOTATION] ?? "").trim().toLowerCase();
    const request = art.metadata.annotations?.[FEEDBACK_REQUEST_ANNOTATION];
    const annotations: Record<string, string | null> = {
      [FEEDBACK_ANNOTATION]: null,
      [FEEDBACK_REQUEST_ANNOTATION]: null,
    };
    if (isFeedbackAction(value)) {
      annotations[FEEDBACK_LOG_ANNOTATION] = JSON.stringify(
        appendReaction(feedbackLog(art), value, new Date(), request),
      );
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
   * status.feedback mirrors the log, so `kubectl get -o yaml` shows the reactions an Artwork got;
   * a log edited into something unreadable is reported on the Artwork (a condition and an Event)
   * and skipped, so it stops neither learning from the others nor this Artwork's deletion.
   */
  async sync(art: Artwork) {
    const { entries: log, problem } = readFeedbackLog(art);
    const reported = findCondition(art.status?.conditions, FEEDBACK_LOG_CONDITION);
    if (problem && (reported?.status !== "False" || reported.message !== unreadable(problem))) {
      await this.reportLog(art, problem);
      return;
    }
    if (!problem && reported?.status === "False") await this.reportLog(art, undefined);
    if (log.length === 0) return;
    const counts = reactionCounts(log);
    const current = art.status?.feedback;
    if (current && Object.entries(counts).every(([k, v]) => current[k as keyof typeof counts] === v)) return;
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
    const log = appendReaction(feedbackLog(art), "delete", new Date());
    await this.patchAnnotations(art, { [FEEDBACK_LOG_ANNOTATION]: JSON.stringify(log) });
    this.ctx.log.info({ artwork: objectKey(art) }, "recorded deletion as a reaction");
    this.foldSoon(art);
  }

  /** The LearningState the Artwork's reactions fold into, if it exists. */
  learningStateOf(art: Artwork): LearningState | undefined {
    const key = learningStateKeyOf(art, this.ctx.caches.pools);
    return this.ctx.caches.learning.get(key.namespace, key.name);
  }

  /** Asks the learning controller to fold the Artwork's log. */
  foldSoon(art: Artwork) {
    this.ctx.enqueue("learningstate", learningStateKeyOf(art, this.ctx.caches.pools));
  }

  private async patchAnnotations(art: Artwork, annotations: Record<string, string | null>) {
    await this.ctx.client.patchMetadataOf(ARTWORK, art, { annotations });
  }
}
