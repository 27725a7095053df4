// An Artwork's reactions in its feedback-log annotation: the unfolded ones numbered (the number is
// what makes each count exactly once: the LearningState notes the highest number it folded), the
// folded ones compacted into counts once the LearningState has recorded them. Pure.
import { createHash } from "node:crypto";
import type { Artwork } from "../../crds/artwork.ts";
import { FEEDBACK_ACTIONS, type FeedbackAction } from "../../crds/learning-state.ts";
import {
  FEEDBACK_LOG_ANNOTATION,
  FeedbackLog,
  FeedbackLogV1,
  MAX_PENDING_REACTIONS,
  MAX_REMEMBERED_REQUESTS,
  type FeedbackLogEntry,
} from "../../crds/worker-protocol.ts";
import { TypeCompiler } from "@sinclair/typebox/compiler";

export type { FeedbackLog };

export function isFeedbackAction(value: string): value is FeedbackAction {
  return (FEEDBACK_ACTIONS as readonly string[]).includes(value);
}

/** Compiled once: every reconcile of an Artwork with reactions reads its log. */
const LOG = TypeCompiler.Compile(FeedbackLog);
const LOG_V1 = TypeCompiler.Compile(FeedbackLogV1);

/** The log as read: its content (empty when unusable), or why it cannot be used (it was edited). */
export interface ReadLog {
  log: FeedbackLog;
  problem?: string;
}

export function emptyLog(): FeedbackLog {
  return { through: 0, counts: {}, pending: [] };
}

/** Parsed once per cached object: the learning controller reads every Artwork's log on each fold. */
const parsed = new WeakMap<Artwork, ReadLog>();

/**
 * The reactions taken so far, checked against the log's schema: the annotation is user-writable,
 * and a log that is not one reads as empty, with the problem named (so one bad Artwork cannot stop
 * learning for the others, nor its own deletion). A log in the first release's form (a list of
 * every reaction) reads as all of them unfolded.
 */
export function readFeedbackLog(art: Artwork): ReadLog {
  let read = parsed.get(art);
  if (!read) {
    read = parse(art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION]);
    parsed.set(art, read);
  }
  return read;
}

function parse(raw: string | undefined): ReadLog {
  if (!raw) return { log: emptyLog() };
  const invalid = (why: string) => ({ log: emptyLog(), problem: `${FEEDBACK_LOG_ANNOTATION}: ${why}` });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return invalid("not JSON");
  }
  let log: FeedbackLog;
  if (Array.isArray(value) && LOG_V1.Check(value)) log = { ...emptyLog(), pending: value };
  else if (LOG.Check(value)) log = value;
  else {
    const error = LOG.Errors(value).First();
    return invalid(
      `${error?.path || "the log"}: ${error?.message ?? "not a feedback log"} (expected {through, counts, pending: [{seq, action, time}]} with action one of ${FEEDBACK_ACTIONS.join(", ")})`,
    );
  }
  const { pending } = log;
  const unordered = pending.findIndex((e, i) =>
    i > 0 ? e.seq <= pending[i - 1]!.seq : e.seq <= log.through,
  );
  if (unordered >= 0)
    return invalid(
      `/pending/${unordered}/seq: reactions must be numbered in increasing order after "through"`,
    );
  return { log };
}

/** The log of an Artwork; an unusable one reads as empty (readFeedbackLog says why). */
export function feedbackLog(art: Artwork): FeedbackLog {
  return readFeedbackLog(art).log;
}

export function serializeLog(log: FeedbackLog): string {
  return JSON.stringify(log);
}

/** The number of the newest reaction, folded or not. */
export function lastSeq(log: FeedbackLog) {
  return log.pending.at(-1)?.seq ?? log.through;
}

/**
 * The LearningState new reactions fold into: the one the log names while it holds unfolded
 * reactions (so no second LearningState can fold those), else the Artwork's current one (`target`).
 */
function intoFor(log: FeedbackLog, target: string) {
  return log.pending.length === 0 ? target : (log.into ?? target);
}

export interface NewReaction {
  action: FeedbackAction;
  time: Date;
  source?: string;
}

/**
 * The log with as many of `reactions` as fit under MAX_PENDING_REACTIONS appended, numbered after
 * the newest; `taken` says how many (the rest wait for the fold to make room).
 */
export function appendReactions(
  log: FeedbackLog,
  reactions: readonly NewReaction[],
  target: string,
): { log: FeedbackLog; taken: number } {
  const room = Math.max(0, MAX_PENDING_REACTIONS - log.pending.length);
  const taken = Math.min(room, reactions.length);
  if (taken === 0) return { log, taken };
  let seq = lastSeq(log);
  const added: FeedbackLogEntry[] = reactions.slice(0, taken).map((r) => ({
    seq: ++seq,
    action: r.action,
    time: r.time.toISOString(),
    ...(r.source ? { source: r.source } : {}),
  }));
  return { log: { ...log, into: intoFor(log, target), pending: [...log.pending, ...added] }, taken };
}

/** The log with the Artwork's deletion appended as a "delete" reaction (bounds do not apply: it is the last). */
export function appendDeletion(log: FeedbackLog, target: string, now: Date): FeedbackLog {
  const seq = lastSeq(log) + 1;
  return {
    ...log,
    into: intoFor(log, target),
    deletion: seq,
    pending: [...log.pending, { seq, action: "delete", time: now.toISOString() }],
  };
}

/** 72 bits: two of the 1,024 remembered ids of different requests colliding is ~1e-16 likely. */
function requestHash(requestId: string) {
  return createHash("sha256").update(requestId).digest("base64url").slice(0, 12);
}

/** Whether a reaction with this request id is in the log, folded or not. */
export function hasRequest(log: FeedbackLog, requestId: string) {
  if (log.pending.some((e) => e.source === requestId)) return true;
  return log.requests?.includes(requestHash(requestId)) ?? false;
}

/**
 * The log with the reactions numbered up to `folded` (which the LearningState has recorded as
 * folded) moved into the counts; the same log when there is nothing to move.
 */
export function compactLog(log: FeedbackLog, folded: number): FeedbackLog {
  if (folded <= log.through) return log;
  const done = log.pending.filter((e) => e.seq <= folded);
  const counts = { ...log.counts };
  for (const e of done) counts[e.action] = (counts[e.action] ?? 0) + 1;
  const hashes = done.flatMap((e) => (e.source ? [requestHash(e.source)] : []));
  const requests = [...(log.requests ?? []), ...hashes].slice(-MAX_REMEMBERED_REQUESTS);
  return {
    ...log,
    through: Math.max(folded, log.through),
    counts,
    ...(requests.length > 0 ? { requests } : {}),
    pending: log.pending.filter((e) => e.seq > folded),
  };
}

/** How many of each reaction the Artwork got, folded or not, as status.feedback shows them. */
export function reactionCounts(log: FeedbackLog): Record<FeedbackAction, number> {
  const counts = Object.fromEntries(FEEDBACK_ACTIONS.map((a) => [a, log.counts[a] ?? 0])) as Record<
    FeedbackAction,
    number
  >;
  for (const e of log.pending) counts[e.action]++;
  return counts;
}
