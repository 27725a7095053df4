import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "./backoff.ts";

describe("backoffDelay", () => {
  it("doubles from the first wait, never passes the cap, and spreads each wait over its upper half", () => {
    const backoff = { initialMs: 100, maxMs: 10_000 };
    expect(backoffDelay(0, backoff, () => 1)).toBe(100);
    expect(backoffDelay(0, backoff, () => 0)).toBe(50);
    expect(backoffDelay(3, backoff, () => 1)).toBe(800);
    // However long the outage, the wait stays capped (and still jittered).
    expect(backoffDelay(1_000, backoff, () => 1)).toBe(10_000);
    expect(backoffDelay(1_000, backoff, () => 0)).toBe(5_000);
  });
});

describe("sleep", () => {
  it("ends at once when its signal aborts", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
