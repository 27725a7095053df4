// What only the operator can know becomes a condition with a clear reason, without a crash and
// without a hot loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtwork, createPool, eventually, getArtwork, QUICK } from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;

const artworkReconciles = () =>
  scrapeMetric(operator, "controller_runtime_reconcile_total", { controller: "artwork" });

beforeAll(async () => {
  ns = await createNamespace("errors");
  operator = startOperator(ns);
  await waitForLeading(operator);
});
afterAll(stopAll);

describe("problems only the operator can see", () => {
  it("reports a missing pool as PoolNotFound and settles", async () => {
    await createArtwork(ns, "orphan", { ...QUICK, poolRef: { name: "nowhere" } });
    const art = await eventually(
      () => getArtwork(ns, "orphan"),
      (a) => a.status?.phase === "Pending",
      20_000,
    );
    const stalled = art.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: "PoolNotFound" });
    expect(stalled?.message).toBe(
      `spec.poolRef.name: ModelPool "nowhere" does not exist in namespace "${ns}"`,
    );
    const before = await artworkReconciles();
    await new Promise((r) => setTimeout(r, 5_000));
    expect((await artworkReconciles()) - before).toBeLessThanOrEqual(2);
    expect(operator.child.exitCode).toBeNull();
  });

  it("reports a model the pool lacks as ModelNotInPool, and recovers when the pool appears", async () => {
    await createArtwork(ns, "wrong-model", { ...QUICK, poolRef: { name: "late" }, model: "sketcher" });
    await createArtwork(ns, "waits", { ...QUICK, poolRef: { name: "late" } });
    await eventually(
      () => getArtwork(ns, "waits"),
      (a) => a.status?.conditions?.some((c) => c.reason === "PoolNotFound") ?? false,
      20_000,
    );
    await createPool(ns, "late", { replicas: 1 });
    const art = await eventually(
      () => getArtwork(ns, "wrong-model"),
      (a) => a.status?.conditions?.some((c) => c.reason === "ModelNotInPool") ?? false,
      20_000,
    );
    expect(art.status?.conditions?.find((c) => c.type === "Stalled")?.message).toBe(
      'spec.model: "sketcher" is not a generator of ModelPool "late"; it has: aria-painter',
    );
    await waitForWorkerReady(startWorker(ns, "late", "l1"));
    const done = await eventually(
      () => getArtwork(ns, "waits"),
      (a) => a.status?.phase === "Succeeded",
      60_000,
    );
    expect(done.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect((await getArtwork(ns, "wrong-model")).status?.phase).toBe("Pending");
  });
});
