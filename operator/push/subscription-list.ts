// An Artwork's push subscriptions as its annotation holds them: read (checked against the schema,
// since anyone who may patch the Artwork may edit it), changed, written back. Pure.
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Artwork } from "../../crds/artwork.ts";
import {
  MAX_PUSH_SUBSCRIPTIONS,
  PUSH_SUBSCRIPTIONS_ANNOTATION,
  PushSubscriptions,
  type PushSubscriptionEntry,
} from "../../crds/push-subscriptions.ts";

const LIST = TypeCompiler.Compile(PushSubscriptions);

/** The subscriptions as read (empty when unusable), or why they cannot be used. */
export interface ReadSubscriptions {
  list: PushSubscriptionEntry[];
  problem?: string;
}

export function readSubscriptions(art: Artwork): ReadSubscriptions {
  const raw = art.metadata.annotations?.[PUSH_SUBSCRIPTIONS_ANNOTATION];
  if (raw === undefined || raw === "") return { list: [] };
  const invalid = (why: string) => ({ list: [], problem: `${PUSH_SUBSCRIPTIONS_ANNOTATION}: ${why}` });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return invalid("not JSON");
  }
  if (!LIST.Check(value)) {
    const error = LIST.Errors(value).First();
    return invalid(
      `${error?.path || "the list"}: ${error?.message ?? "not a list of subscriptions"} (expected at most ${MAX_PUSH_SUBSCRIPTIONS} of {endpoint, keys: {p256dh, auth}, time})`,
    );
  }
  return { list: value };
}

/** Whether the Artwork has subscriptions (or an annotation that claims to hold some). */
export function hasSubscriptions(art: Artwork): boolean {
  return Boolean(art.metadata.annotations?.[PUSH_SUBSCRIPTIONS_ANNOTATION]);
}

/** Two entries are the same subscription: one browser's endpoint with the keys it was made with. */
export function sameSubscription(a: PushSubscriptionEntry, b: PushSubscriptionEntry) {
  return a.endpoint === b.endpoint && a.keys.auth === b.keys.auth && a.keys.p256dh === b.keys.p256dh;
}

/**
 * The list with `entry` in it: a browser subscribing again with the same endpoint replaces its old
 * entry (its keys may be new) rather than taking a second place. Undefined when the list is full.
 */
export function withSubscription(
  list: PushSubscriptionEntry[],
  entry: PushSubscriptionEntry,
): PushSubscriptionEntry[] | undefined {
  const others = list.filter((s) => s.endpoint !== entry.endpoint);
  if (others.length >= MAX_PUSH_SUBSCRIPTIONS) return undefined;
  return [...others, entry];
}

export function withoutEndpoint(list: PushSubscriptionEntry[], endpoint: string): PushSubscriptionEntry[] {
  return list.filter((s) => s.endpoint !== endpoint);
}

/** The annotation's new value for a merge patch: null removes it once no subscription is left. */
export function serializeSubscriptions(list: PushSubscriptionEntry[]): string | null {
  return list.length === 0 ? null : JSON.stringify(list);
}
