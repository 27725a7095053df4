import { describe, expect, it } from "vitest";
import { WorkerHealth } from "./worker-health.ts";

describe("WorkerHealth", () => {
  it("is ready with no problem, and not ready while any source reports one", () => {
    const health = new WorkerHealth();
    expect(health.problem()).toBeUndefined();
    health.set("storage", { reason: "StorageUnwritable", message: "/data is read-only" });
    health.set("inference", { reason: "InferenceUnavailable", message: "thread 0 exited" });
    expect(health.problem()).toEqual({
      reason: "StorageUnwritable",
      message: "/data is read-only; thread 0 exited",
    });
    health.set("storage", undefined);
    expect(health.problem()).toEqual({ reason: "InferenceUnavailable", message: "thread 0 exited" });
    health.set("inference", undefined);
    expect(health.problem()).toBeUndefined();
  });

  it("announces each change once, so a heartbeat goes out only when the report changes", () => {
    const health = new WorkerHealth();
    let changes = 0;
    health.onChange(() => changes++);
    const full = { reason: "StorageFull", message: "only 3 MiB free" };
    health.set("storage", full);
    health.set("storage", { ...full });
    health.set("models", undefined);
    expect(changes).toBe(1);
    health.set("storage", undefined);
    expect(changes).toBe(2);
  });
});
