import { describe, expect, it } from "vitest";
import type { ModelPoolSpec } from "../../crds/model-pool.ts";
import { poolBatching } from "./pool-batching.ts";

const spec = (batching?: ModelPoolSpec["batching"]): ModelPoolSpec => ({
  models: [{ name: "painter", role: "generator", source: { builtin: "aria-painter" } }],
  ...(batching ? { batching } : {}),
});

describe("poolBatching", () => {
  it("leaves candidates one at a time when the pool does not batch", () => {
    expect(poolBatching(spec())).toBeUndefined();
    expect(poolBatching(spec({ maxBatchSize: 1, memoryBudget: "6Gi" }))).toBeUndefined();
  });

  it("reads the memory budget as Kubernetes reads a quantity", () => {
    expect(poolBatching(spec({ maxBatchSize: 4, memoryBudget: "6Gi" }))).toEqual({
      maxBatchSize: 4,
      memoryBudgetBytes: 6 * 2 ** 30,
    });
    expect(poolBatching(spec({ maxBatchSize: 4, memoryBudget: "1500M" }))?.memoryBudgetBytes).toBe(1.5e9);
    expect(poolBatching(spec({ maxBatchSize: 2 }))).toEqual({ maxBatchSize: 2 });
  });
});
