import { describe, expect, it } from "vitest";
import { candidatesPerRun, rowBytes, SD_ATTENTION } from "./batch-budget.ts";

describe("rowBytes", () => {
  it("grows with the square of the first attention level's tokens", () => {
    // SD 1.5 at 512×512: a 64×64 latent, 4096 tokens, 8 heads: 1.25 GiB (1.16 measured).
    expect(rowBytes(SD_ATTENTION, 64, 64)).toBe(4096 * 4096 * 8 * 4 * 2.5);
    // SDXL's first block has no attention; the second, 10 heads, runs at half the latent: 64×64 at 1024².
    expect(rowBytes({ heads: 10, downsample: 2 }, 128, 128)).toBe(4096 * 4096 * 10 * 4 * 2.5);
  });
});

describe("candidatesPerRun", () => {
  const row = 512 * 2 ** 20;

  it("runs one at a time without a pool's batching", () => {
    expect(candidatesPerRun(undefined, row)).toBe(1);
  });

  it("takes maxBatchSize when no budget bounds it", () => {
    expect(candidatesPerRun({ maxBatchSize: 8 }, row)).toBe(8);
  });

  it("batches fewer when their estimated memory exceeds the budget, never fewer than one", () => {
    expect(candidatesPerRun({ maxBatchSize: 8, memoryBudgetBytes: 2 * 2 ** 30 }, row)).toBe(4);
    expect(candidatesPerRun({ maxBatchSize: 8, memoryBudgetBytes: 2 ** 20 }, row)).toBe(1);
  });
});
