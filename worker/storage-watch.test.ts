import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { StoreHealth } from "../lib/storage/store-health.ts";
import { StorageWatch } from "./storage-watch.ts";
import { WorkerHealth } from "./worker-health.ts";

const log = pino({ level: "silent" });

/** A store whose health the test sets; counts the checks. */
function store(initial: StoreHealth) {
  const s = {
    root: "/data/images",
    health: initial,
    checks: 0,
    async checkHealth() {
      s.checks++;
      return s.health;
    },
  };
  return s;
}

describe("StorageWatch", () => {
  it("marks the worker not ready as full or unwritable, and ready again when the volume recovers", async () => {
    const s = store({ ok: true, freeBytes: 2 ** 30 });
    const health = new WorkerHealth();
    const watch = new StorageWatch(s, health, 60_000, log);
    await watch.start();
    expect(health.problem()).toBeUndefined();

    s.health = {
      ok: false,
      problem: "unwritable",
      reason: "/data/images is not writable: EROFS",
      freeBytes: 0,
    };
    await watch.check();
    expect(health.problem()).toEqual({
      reason: "StorageUnwritable",
      message: "/data/images is not writable: EROFS",
    });

    s.health = { ok: false, problem: "full", reason: "only 3 MiB free", freeBytes: 3 * 2 ** 20 };
    await watch.check();
    expect(health.problem()?.reason).toBe("StorageFull");

    s.health = { ok: true, freeBytes: 2 ** 30 };
    await watch.check();
    expect(health.problem()).toBeUndefined();
    watch.stop();
  });

  it("shares one check between callers that ask at the same time", async () => {
    const s = store({ ok: true, freeBytes: 2 ** 30 });
    const watch = new StorageWatch(s, new WorkerHealth(), 60_000, log);
    await Promise.all([watch.check(), watch.check(), watch.check()]);
    expect(s.checks).toBe(1);
  });
});
