import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import {
  MAX_PUSH_ENDPOINT_LENGTH,
  MAX_PUSH_SUBSCRIPTIONS,
  PUSH_SUBSCRIPTIONS_ANNOTATION,
  type PushSubscriptionEntry,
} from "../../crds/push-subscriptions.ts";
import {
  readSubscriptions,
  serializeSubscriptions,
  withoutEndpoint,
  withSubscription,
} from "./subscription-list.ts";

const entry = (n: number, auth = "A".repeat(22)): PushSubscriptionEntry => ({
  endpoint: `https://push.example.net/${n}`,
  keys: { p256dh: "B".repeat(87), auth },
  time: "2026-12-01T10:00:00Z",
});

const artwork = (annotation?: string): Artwork =>
  ({
    metadata: {
      name: "dawn",
      namespace: "art",
      ...(annotation === undefined ? {} : { annotations: { [PUSH_SUBSCRIPTIONS_ANNOTATION]: annotation } }),
    },
    spec: { prompt: "a dawn", poolRef: { name: "studio" } },
  }) as Artwork;

describe("push subscriptions annotation", () => {
  it("reads what it wrote, and no annotation as none", () => {
    expect(readSubscriptions(artwork())).toEqual({ list: [] });
    const list = [entry(1), entry(2)];
    expect(readSubscriptions(artwork(serializeSubscriptions(list)!))).toEqual({ list });
    expect(serializeSubscriptions([])).toBeNull();
  });

  it("reads a hand-edited value as none, saying where it is wrong", () => {
    expect(readSubscriptions(artwork("{")).problem).toBe(`${PUSH_SUBSCRIPTIONS_ANNOTATION}: not JSON`);
    const bad = readSubscriptions(artwork(JSON.stringify([{ ...entry(1), keys: { p256dh: "x" } }])));
    expect(bad.list).toEqual([]);
    expect(bad.problem).toContain("/0/keys");
    const tooMany = Array.from({ length: MAX_PUSH_SUBSCRIPTIONS + 1 }, (_, i) => entry(i));
    expect(readSubscriptions(artwork(JSON.stringify(tooMany))).problem).toContain("expected at most");
  });

  it("replaces a browser's earlier entry rather than holding its endpoint twice", () => {
    const again = entry(1, "C".repeat(22));
    expect(withSubscription([entry(1), entry(2)], again)).toEqual([entry(2), again]);
  });

  it("holds at most MAX_PUSH_SUBSCRIPTIONS, a browser already in a full list may still renew", () => {
    const full = Array.from({ length: MAX_PUSH_SUBSCRIPTIONS }, (_, i) => entry(i));
    expect(withSubscription(full, entry(99))).toBeUndefined();
    expect(withSubscription(full, entry(3, "D".repeat(22)))).toHaveLength(MAX_PUSH_SUBSCRIPTIONS);
  });

  it("removes by endpoint", () => {
    expect(withoutEndpoint([entry(1), entry(2)], entry(1).endpoint)).toEqual([entry(2)]);
    expect(withoutEndpoint([entry(1)], "https://elsewhere/")).toEqual([entry(1)]);
  });

  it("keeps the largest list well inside an annotation's room", () => {
    const longest = Array.from({ length: MAX_PUSH_SUBSCRIPTIONS }, (_, i) => ({
      ...entry(i),
      endpoint: `https://push.example.net/${i}/`.padEnd(MAX_PUSH_ENDPOINT_LENGTH, "x"),
      user: "u".repeat(256),
      failures: 5,
      retryAt: new Date().toISOString(),
    }));
    const text = serializeSubscriptions(longest)!;
    expect(readSubscriptions(artwork(text)).problem).toBeUndefined();
    expect(text.length).toBeLessThan(36 * 1024);
  });
});
