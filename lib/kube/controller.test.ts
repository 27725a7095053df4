import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { KubernetesObject } from "@kubernetes/client-node";
import { Controller, type ReconcileResult, type WatchSource } from "./controller.ts";
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

/** An informer's cache and events without an API server: objects come and go as the test says. */
class FakeInformer implements WatchSource<KubernetesObject> {
  private readonly objects = new Map<string, KubernetesObject>();
  private readonly handlers = { add: [] as Handler[], update: [] as Handler[], delete: [] as Handler[] };
  on(event: "add" | "update" | "delete", handler: Handler) {
    this.handlers[event].push(handler);
  }
  off(event: "add" | "update" | "delete", handler: Handler) {
    this.handlers[event] = this.handlers[event].filter((h) => h !== handler);
  }
  async start() {}
  get(namespace: string, name: string) {
    return this.objects.get(`${namespace}/${name}`);
  }
  add(name: string) {
    const obj = { metadata: { namespace: "gallery", name } };
    this.objects.set(`gallery/${name}`, obj);
    for (const h of this.handlers.add) h(obj, obj);
  }
  delete(name: string) {
    const obj = this.objects.get(`gallery/${name}`)!;
    this.objects.delete(`gallery/${name}`);
    for (const h of this.handlers.delete) h(obj, obj);
  }
}
type Handler = (obj: KubernetesObject, old: KubernetesObject) => void;

describe("Controller memory", () => {
  it("keeps no per-key state for objects that were deleted, however many came and went", async () => {
    const informer = new FakeInformer();
    let reconciles = 0;
    const c = start(async () => {
      reconciles++;
    });
    c.watch(informer);
    await c.start();
    for (let i = 0; i < 500; i++) informer.add(`art-${i}`);
    await until(() => reconciles === 500);
    expect(c.reconcileCount({ namespace: "gallery", name: "art-7" })).toBe(1);
    for (let i = 0; i < 500; i++) informer.delete(`art-${i}`);
    await until(() => reconciles === 1000);
    await sleep(20);
    // The reconcile that saw each object gone was the last thing remembered about it.
    expect(c.reconcileCount({ namespace: "gallery", name: "art-7" })).toBe(0);
    expect(c.trackedKeys).toBe(0);
    // A live object keeps its count.
    informer.add("survivor");
    await until(() => reconciles === 1001);
    expect(c.reconcileCount({ namespace: "gallery", name: "survivor" })).toBe(1);
    expect(c.trackedKeys).toBe(1);
  });
});
