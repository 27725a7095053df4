// An Artwork's reactions, numbered, in its feedback-log annotation: the record that makes each
// reaction count exactly once (the LearningState notes the highest number it folded).
import type { Artwork } from "../../crds/artwork.ts";
import { FEEDBACK_ACTIONS, type FeedbackAction } from "../../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION, type FeedbackLogEntry } from "../../crds/worker-protocol.ts";

export function isFeedbackAction(value: string): value is FeedbackAction {
  return (FEEDBACK_ACTIONS as readonly string[]).includes(value);
}

/**
 * The reactions taken so far. The annotation can be edited by hand: what is not JSON, not a list,
 * or not a numbered entry reads as nothing, so one bad value cannot stop learning or deletion.
 */
export function feedbackLog(art: Artwork): FeedbackLogEntry[] {
  const raw = art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION];
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter(isLogEntry) : [];
}

function isLogEntry(value: unknown): value is FeedbackLogEntry {
  const e = value as Partial<FeedbackLogEntry> | null;
  return (
    typeof e === "object" &&
    e !== null &&
    Number.isSafeInteger(e.seq) &&
    typeof e.action === "string" &&
    typeof e.time === "string"
  );
}

/** The log with one more reaction, numbered after the last one. */
export function appendReaction(
  log: readonly FeedbackLogEntry[],
  action: FeedbackAction,
  now: Date,
  source?: string,
): FeedbackLogEntry[] {
  const seq = (log.at(-1)?.seq ?? 0) + 1;
  return [...log, { seq, action, time: now.toISOString(), ...(source ? { source } : {}) }];
}

/** How many of each reaction the log holds, as status.feedback shows them. */
export function reactionCounts(log: readonly FeedbackLogEntry[]): Record<FeedbackAction, number> {
  const counts = Object.fromEntries(FEEDBACK_ACTIONS.map((a) => [a, 0])) as Record<FeedbackAction, number>;
  for (const e of log) if (isFeedbackAction(e.action)) counts[e.action]++;
  return counts;
}
