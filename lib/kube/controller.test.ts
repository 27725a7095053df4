import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { Controller, type ReconcileResult } from "./controller.ts";
import type { ObjectKey } from "./object-key.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logger = pino({ level: "silent" });
const key: ObjectKey = { namespace: "gallery", name: "sunrise" };

let controller: Controller | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

function start(reconcile: (key: ObjectKey) => Promise<ReconcileResult | void>, registry = new Registry()) {
  controller = new Controller({ name: "artwork", reconcile, logger, registry, baseDelayMs: 10 });
  return controller;
}

async function until(condition: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(2);
  }
}

describe("Controller", () => {
  it("retries a failing reconcile with growing backoff until it succeeds, then stops", async () => {
    const times: number[] = [];
    const registry = new Registry();
    const c = start(async () => {
      times.push(performance.now());
      if (times.length < 4) throw new Error("apiserver unavailable");
    }, registry);
    await c.start();
    c.enqueue(key);
    await until(() => times.length === 4);
    await sleep(100);
    expect(c.reconcileCount(key)).toBe(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 10, 20, 40 ms: each wait at least the configured backoff, and growing.
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    // Success forgets the failures: the next failure would wait the base delay again.
    expect(c.queue.nextBackoffMs("gallery/sunrise")).toBe(10);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="artwork",result="error"} 3');
    expect(text).toContain('controller_runtime_reconcile_total{controller="artwork",result="success"} 1');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="artwork"} 3');
  });

  it("reconciles again after requeueAfterMs, not before", async () => {
    const times: number[] = [];
    const c = start(async () => {
      times.push(performance.now());
      return times.length === 1 ? { requeueAfterMs: 80 } : undefined;
    });
    await c.start();
    c.enqueue(key);
    await sleep(50);
    expect(c.reconcileCount(key)).toBe(1);
    await until(() => times.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(79);
    await sleep(100);
    expect(c.reconcileCount(key)).toBe(2);
  });

  it("coalesces a burst of events for one key into a bounded number of reconciles", async () => {
    const c = start(async () => {
      await sleep(20);
    });
    await c.start();
    for (let i = 0; i < 50; i++) {
      c.enqueue(key);
      await sleep(1);
    }
    await sleep(150);
    // One reconcile in flight plus at most one queued behind it at any moment.
    expect(c.reconcileCount(key)).toBeGreaterThanOrEqual(2);
    expect(c.reconcileCount(key)).toBeLessThanOrEqual(5);
    expect(c.reconcileCount({ namespace: "gallery", name: "other" })).toBe(0);
  });

  it("passes namespace and name of the key to reconcile, and '' for cluster-scoped objects", async () => {
    const seen: ObjectKey[] = [];
    const c = start(async (k) => {
      seen.push(k);
    });
    await c.start();
    c.enqueue(key);
    c.enqueue({ namespace: "", name: "default-learning" });
    await until(() => seen.length === 2);
    expect(seen).toEqual([key, { namespace: "", name: "default-learning" }]);
  });
});
