import { describe, expect, it } from "vitest";
import { MAX_PUSH_ATTEMPTS, type PushSubscriptionEntry } from "../../crds/push-subscriptions.ts";
import { applyJudgements, dueSubscriptions, judge, PUSH_RETRY_BACKOFF } from "./delivery-plan.ts";

const NOW = Date.parse("2026-12-01T10:00:00Z");
const entry = (n: number, extra: Partial<PushSubscriptionEntry> = {}): PushSubscriptionEntry => ({
  endpoint: `https://push.example.net/${n}`,
  keys: { p256dh: "B".repeat(87), auth: "A".repeat(22) },
  time: "2026-12-01T09:00:00Z",
  ...extra,
});
const half = () => 0.5;

describe("delivery plan", () => {
  it("sends to new subscriptions and to failed ones whose time has come", () => {
    const waiting = entry(2, { failures: 1, retryAt: new Date(NOW + 4000).toISOString() });
    const ripe = entry(3, { failures: 2, retryAt: new Date(NOW - 1).toISOString() });
    const { due, laterMs } = dueSubscriptions([entry(1), waiting, ripe], NOW);
    expect(due).toEqual([entry(1), ripe]);
    expect(laterMs).toBe(4000);
    expect(dueSubscriptions([entry(1)], NOW).laterMs).toBeUndefined();
  });

  it("removes delivered and gone subscriptions; counts a failure and backs off", () => {
    const sent = judge(entry(1), { outcome: "sent", status: 201 }, NOW);
    const gone = judge(entry(2), { outcome: "gone", status: 410 }, NOW);
    const failed = judge(entry(3), { outcome: "error", status: 503, message: "busy" }, NOW, half);
    expect([sent.outcome, gone.outcome, failed.outcome]).toEqual(["sent", "gone", "retried"]);
    expect(failed.next).toMatchObject({
      failures: 1,
      retryAt: new Date(NOW + failed.delayMs!).toISOString(),
    });
    expect(failed.delayMs).toBeGreaterThanOrEqual(PUSH_RETRY_BACKOFF.initialMs / 2);
    const list = applyJudgements([entry(1), entry(2), entry(3), entry(4)], [sent, gone, failed]);
    expect(list).toEqual([failed.next, entry(4)]);
  });

  it("waits longer after each failure, honours Retry-After within the ceiling, and gives up", () => {
    let e = entry(1);
    const delays: number[] = [];
    for (let attempt = 1; attempt < MAX_PUSH_ATTEMPTS; attempt++) {
      const j = judge(e, { outcome: "error", message: "reset" }, NOW, half);
      expect(j.outcome).toBe("retried");
      delays.push(j.delayMs!);
      e = j.next!;
    }
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(judge(e, { outcome: "error", message: "reset" }, NOW).outcome).toBe("failed");
    expect(applyJudgements([e], [judge(e, { outcome: "error", message: "x" }, NOW)])).toEqual([]);

    const told = judge(entry(1), { outcome: "error", status: 429, message: "", retryAfterMs: 60_000 }, NOW);
    expect(told.delayMs).toBe(60_000);
    const far = judge(
      entry(1),
      { outcome: "error", status: 429, message: "", retryAfterMs: 86_400_000 },
      NOW,
    );
    expect(far.delayMs).toBe(PUSH_RETRY_BACKOFF.maxMs);
  });

  it("leaves alone what changed meanwhile: a new subscriber, one who unsubscribed, one who renewed keys", () => {
    const sent = judge(entry(1), { outcome: "sent", status: 201 }, NOW);
    const renewed = { ...entry(1), keys: { p256dh: "B".repeat(87), auth: "Z".repeat(22) } };
    expect(applyJudgements([renewed, entry(5)], [sent])).toBe(false);
    expect(applyJudgements([], [sent])).toBe(false);
    expect(applyJudgements([entry(5), entry(1)], [sent])).toEqual([entry(5)]);
  });
});
