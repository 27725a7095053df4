import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const newQueue = (options: { baseDelayMs?: number; maxDelayMs?: number } = {}) =>
  new WorkQueue({ name: "test", registry: new Registry(), ...options });

describe("WorkQueue", () => {
  it("coalesces a key added several times before a worker takes it", async () => {
    const queue = newQueue();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
  });

  it("does not hand a key in flight to a second worker, and processes a re-add once afterwards", async () => {
    const queue = newQueue();
    const seen: string[] = [];
    let running = 0;
    let maxRunningForA = 0;
    let release!: () => void;
    const firstRunBlocked = new Promise<void>((resolve) => (release = resolve));
    const run = queue.run(async (key) => {
      running++;
      maxRunningForA = Math.max(maxRunningForA, running);
      seen.push(key);
      if (seen.length === 1) await firstRunBlocked;
      running--;
    }, 4);
    queue.add("a");
    await sleep(5);
    // Three adds while "a" is processing: four idle workers exist, yet none may take it.
    queue.add("a");
    queue.add("a");
    queue.add("a");
    await sleep(5);
    expect(seen).toEqual(["a"]);
    release();
    await sleep(5);
    expect(seen).toEqual(["a", "a"]);
    expect(maxRunningForA).toBe(1);
    queue.shutDown();
    await run;
  });

  it("bounds concurrent handlers to the requested concurrency", async () => {
    const queue = newQueue();
    let running = 0;
    let peak = 0;
    const run = queue.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
    }, 3);
    for (let i = 0; i < 12; i++) queue.add(`k${i}`);
    queue.shutDown();
    await run;
    expect(peak).toBe(3);
  });

  it("grows the per-key backoff exponentially, caps it, and forget resets it", () => {
    const queue = newQueue({ baseDelayMs: 5, maxDelayMs: 1_000_000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(queue.nextBackoffMs("a"));
      queue.addRateLimited("a");
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(queue.nextBackoffMs("b")).toBe(5);
    for (let i = 0; i < 40; i++) queue.addRateLimited("a");
    expect(queue.nextBackoffMs("a")).toBe(1_000_000);
    queue.forget("a");
    expect(queue.nextBackoffMs("a")).toBe(5);
    queue.shutDown();
  });

  it("delivers rate-limited and delayed keys only after their delay", async () => {
    const queue = newQueue({ baseDelayMs: 40 });
    const seen: string[] = [];
    const run = queue.run(async (key) => void seen.push(key), 1);
    queue.addRateLimited("slow");
    queue.addAfter("later", 20);
    await sleep(5);
    expect(seen).toEqual([]);
    await sleep(25);
    expect(seen).toEqual(["later"]);
    await sleep(30);
    expect(seen).toEqual(["later", "slow"]);
    queue.shutDown();
    await run;
  });

  it("keeps one delayed add per key, at the earliest time asked for", async () => {
    const queue = newQueue();
    const seen: string[] = [];
    const run = queue.run(async (key) => void seen.push(key), 1);
    queue.addAfter("k", 60);
    queue.addAfter("k", 20);
    queue.addAfter("k", 40);
    await sleep(35);
    expect(seen).toEqual(["k"]);
    await sleep(50);
    expect(seen).toEqual(["k"]);
    queue.shutDown();
    await run;
  });

  it("finishes queued and in-flight keys on drain, then ignores new adds and delayed keys", async () => {
    const queue = newQueue();
    const done: string[] = [];
    const run = queue.run(async (key) => {
      await sleep(5);
      done.push(key);
    }, 1);
    queue.add("a");
    queue.add("b");
    queue.addAfter("delayed", 10);
    queue.shutDown();
    queue.add("c");
    await run;
    await sleep(20);
    expect(done).toEqual(["a", "b"]);
    expect(await queue.get()).toBeUndefined();
  });

  it("keeps a worker alive when the handler throws", async () => {
    const queue = newQueue();
    const done: string[] = [];
    const run = queue.run(async (key) => {
      if (key === "bad") throw new Error("boom");
      done.push(key);
    }, 1);
    queue.add("bad");
    queue.add("good");
    queue.shutDown();
    await run;
    expect(done).toEqual(["good"]);
  });

  it("reports depth, adds and retries as workqueue metrics", async () => {
    const registry = new Registry();
    const queue = new WorkQueue({ name: "artworks", registry });
    queue.add("a");
    queue.add("a");
    queue.add("b");
    queue.addRateLimited("c");
    const text = await registry.metrics();
    expect(text).toContain('workqueue_depth{name="artworks"} 2');
    expect(text).toContain('workqueue_adds_total{name="artworks"} 2');
    expect(text).toContain('workqueue_retries_total{name="artworks"} 1');
    queue.shutDown();
  });
});
