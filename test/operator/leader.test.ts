// Two operator replicas: only the leader acts; when it dies the other takes over within the lease.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "../support/artworks.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { leaseHolder, waitForLeading, waitForOperatorReady, waitForWorkerReady } from "../support/waits.ts";

let ns: string;

beforeAll(async () => {
  ns = await createNamespace("leader");
  await createPool(ns, "studio", { replicas: 1 });
  await waitForWorkerReady(startWorker(ns, "studio", "w1"));
});
afterAll(stopAll);

const holder = () => leaseHolder(kubeConfig(), ns, "aria-operator");

/** What a replica did as the controller manager, from its /metrics: reconciles and bindings. */
const work = async (op: OperatorProc) => ({
  reconciles: await scrapeMetric(op, "controller_runtime_reconcile_total"),
  bindings: await scrapeMetric(op, "aria_scheduling_bind_duration_seconds_count"),
});

describe("leader election", () => {
  it("lets only the leader reconcile, and hands over within the lease when it dies", async () => {
    const a = startOperator(ns, { identity: "replica-a" });
    await waitForLeading(a);
    const b = startOperator(ns, { identity: "replica-b" });
    // The standby is ready (caches synced) without leading.
    await waitForOperatorReady(b);
    await createArtwork(ns, "one", { ...QUICK, poolRef: { name: "studio" } });
    await eventually(() => getArtwork(ns, "one"), isReady, 60_000);
    expect(await holder()).toBe("replica-a");
    // The leader bound "one" and reconciled; the standby, ready all along, did neither.
    const leaderWork = await work(a);
    expect(leaderWork.bindings).toBe(1);
    expect(leaderWork.reconciles).toBeGreaterThan(0);
    expect(await work(b)).toEqual({ reconciles: 0, bindings: 0 });

    const killedAt = Date.now();
    await a.kill("SIGKILL");
    await waitForLeading(b, 15_000);
    const takeover = Date.now() - killedAt;
    // Lease duration in these tests is 4 s; a retry period later at the most.
    expect(takeover).toBeLessThan(4_000 + 1_500);
    expect(await holder()).toBe("replica-b");
    await createArtwork(ns, "two", { ...QUICK, poolRef: { name: "studio" } });
    const two = await eventually(() => getArtwork(ns, "two"), isReady, 60_000);
    expect(two.status?.attempt).toBe(1);
    expect((await work(b)).bindings).toBe(1);
  });
});
