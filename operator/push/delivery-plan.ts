// Which of an Artwork's subscriptions to notify now, and what each attempt leaves in the list: a
// delivered one or one its push service no longer knows is removed, a failed one waits with
// exponential backoff (its count and next time kept in the annotation, so a restart neither
// resets nor hurries it) until MAX_PUSH_ATTEMPTS, then is given up. Pure.
import { MAX_PUSH_ATTEMPTS, type PushSubscriptionEntry } from "../../crds/push-subscriptions.ts";
import { backoffDelay, type Backoff } from "../../lib/kube/backoff.ts";
import type { Delivery } from "./push-sender.ts";
import { sameSubscription } from "./subscription-list.ts";

/** Between attempts at one notification: 5 s doubling to 5 min (with jitter). */
export const PUSH_RETRY_BACKOFF: Backoff = { initialMs: 5_000, maxMs: 5 * 60_000 };

export type PushOutcome = "sent" | "gone" | "retried" | "failed";

export interface Judged {
  /** The entry as it was sent to. */
  entry: PushSubscriptionEntry;
  delivery: Delivery;
  outcome: PushOutcome;
  /** For "retried": the entry with its failure counted and its next attempt's time. */
  next?: PushSubscriptionEntry;
  delayMs?: number;
}

function retryAt(entry: PushSubscriptionEntry): number {
  return entry.retryAt ? Date.parse(entry.retryAt) : -Infinity;
}

/** The subscriptions due now, and how long until the next of the others is. */
export function dueSubscriptions(list: PushSubscriptionEntry[], now: number) {
  const due = list.filter((s) => !(retryAt(s) > now));
  const later = list.map(retryAt).filter((t) => t > now);
  return { due, ...(later.length ? { laterMs: Math.min(...later) - now } : {}) };
}

export function judge(
  entry: PushSubscriptionEntry,
  delivery: Delivery,
  now: number,
  random: () => number = Math.random,
): Judged {
  if (delivery.outcome === "sent") return { entry, delivery, outcome: "sent" };
  if (delivery.outcome === "gone") return { entry, delivery, outcome: "gone" };
  const failures = (entry.failures ?? 0) + 1;
  if (failures >= MAX_PUSH_ATTEMPTS) return { entry, delivery, outcome: "failed" };
  // A push service's Retry-After is honoured within the backoff's ceiling.
  const delayMs = Math.min(
    Math.max(backoffDelay(failures - 1, PUSH_RETRY_BACKOFF, random), delivery.retryAfterMs ?? 0),
    PUSH_RETRY_BACKOFF.maxMs,
  );
  const next = { ...entry, failures, retryAt: new Date(now + delayMs).toISOString() };
  return { entry, delivery, outcome: "retried", next, delayMs };
}

/**
 * The list as it is now (others may have subscribed or unsubscribed since it was read for
 * sending) with the attempts' results in it; `false` when they change nothing.
 */
export function applyJudgements(list: PushSubscriptionEntry[], judged: Judged[]) {
  let changed = false;
  const next: PushSubscriptionEntry[] = [];
  for (const current of list) {
    const j = judged.find((x) => sameSubscription(x.entry, current));
    if (!j) next.push(current);
    else if (j.next) {
      next.push(j.next);
      changed = true;
    } else changed = true;
  }
  return changed ? next : false;
}
