// An Artwork's reactions, numbered, in its feedback-log annotation: the record that makes each
// reaction count exactly once (the LearningState notes the highest number it folded).
import type { Artwork } from "../../crds/artwork.ts";
import { FEEDBACK_ACTIONS, type FeedbackAction } from "../../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION, FeedbackLog, type FeedbackLogEntry } from "../../crds/worker-protocol.ts";
import { TypeCompiler } from "@sinclair/typebox/compiler";

export function isFeedbackAction(value: string): value is FeedbackAction {
  return (FEEDBACK_ACTIONS as readonly string[]).includes(value);
}

/** Compiled once: every reconcile of an Artwork with reactions reads its log. */
const LOG = TypeCompiler.Compile(FeedbackLog);

/** The log as read: its entries, or why it cannot be used (it was edited into something else). */
export interface ReadLog {
  entries: FeedbackLogEntry[];
  problem?: string;
}

/**
 * The reactions taken so far, checked against the log's schema: the annotation is user-writable,
 * and a log that is not a list of numbered reactions in order reads as none, with the problem named
 * (so one bad Artwork cannot stop learning for the others, nor its own deletion).
 */
export function readFeedbackLog(art: Artwork): ReadLog {
  const raw = art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION];
  if (!raw) return { entries: [] };
  const invalid = (why: string) => ({ entries: [], problem: `${FEEDBACK_LOG_ANNOTATION}: ${why}` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return invalid("not JSON");
  }
  const error = LOG.Check(parsed) ? undefined : LOG.Errors(parsed).First();
  if (error)
    return invalid(
      `${error.path || "the log"}: ${error.message} (expected [{seq, action, time}] with action one of ${FEEDBACK_ACTIONS.join(", ")})`,
    );
  const entries = parsed as FeedbackLogEntry[];
  const unordered = entries.findIndex((e, i) => i > 0 && e.seq <= entries[i - 1]!.seq);
  if (unordered >= 0) return invalid(`/${unordered}/seq: reactions must be numbered in increasing order`);
  return { entries };
}

/** The reactions taken so far; an unusable log reads as none (readFeedbackLog says why). */
export function feedbackLog(art: Artwork): FeedbackLogEntry[] {
  return readFeedbackLog(art).entries;
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
  for (const e of log) counts[e.action]++;
  return counts;
}
