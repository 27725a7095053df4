import { quantityToScalar } from "@kubernetes/client-node/dist/util.js";
import type { ModelPoolSpec } from "../../crds/model-pool.ts";
import type { Batching } from "../pipeline/batch-budget.ts";

/** A pool's spec.batching as the inference layer takes it; undefined: candidates run one at a time. */
export function poolBatching(spec: ModelPoolSpec): Batching | undefined {
  const b = spec.batching;
  if (!b || (b.maxBatchSize ?? 1) <= 1) return undefined;
  return {
    maxBatchSize: b.maxBatchSize ?? 1,
    // Admission checked the quantity's syntax; client-node reads it as Kubernetes does.
    ...(b.memoryBudget !== undefined
      ? { memoryBudgetBytes: Number(quantityToScalar(String(b.memoryBudget))) }
      : {}),
  };
}
