// Metric series follow their objects: a deleted ModelPool's aria_model_pool_* series leave
// /metrics, as kube-state-metrics drops a deleted object's series, instead of staying (and being
// kept in memory) for the life of the operator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../support/artworks.ts";
import { createNamespace, kubectl } from "../support/cluster.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { httpGet, waitFor, waitForLeading } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;

beforeAll(async () => {
  ns = await createNamespace("series");
  operator = startOperator(ns);
  await waitForLeading(operator);
});
afterAll(stopAll);

/** The lines of /metrics naming the pool. */
async function poolSeries(pool: string) {
  const { body } = await httpGet(operator, "/metrics");
  return body
    .split("\n")
    .filter((line) => line.includes(`namespace="${ns}"`) && line.includes(`pool="${pool}"`));
}

describe("operator metrics", () => {
  it("drops the series of a deleted ModelPool and keeps those of the others", async () => {
    await createPool(ns, "ephemeral");
    await createPool(ns, "lasting");
    const names = (lines: string[]) => lines.map((l) => l.split("{")[0]).sort();
    const published = await waitFor(
      "series of both pools",
      async () => [await poolSeries("ephemeral"), await poolSeries("lasting")],
      ([a, b]) => a!.length > 0 && b!.length > 0,
      { timeoutMs: 30_000, proc: operator },
    );
    expect(names(published[0]!)).toEqual(
      expect.arrayContaining(["aria_active_generations", "aria_artwork_queue_depth", "aria_model_pool_size"]),
    );

    expect((await kubectl(["delete", "modelpool", "ephemeral", "-n", ns, "--wait"])).code).toBe(0);
    await waitFor(
      "no series of the deleted pool",
      () => poolSeries("ephemeral"),
      (lines) => lines.length === 0,
      {
        timeoutMs: 20_000,
        proc: operator,
      },
    );
    expect(names(await poolSeries("lasting"))).toEqual(names(published[1]!));
  });
});
