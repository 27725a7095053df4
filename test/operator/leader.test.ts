// Two operator replicas: only the leader acts; when it dies the other takes over within the lease.
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "../support/artworks.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll } from "../support/processes.ts";

let ns: string;

beforeAll(async () => {
  ns = await createNamespace("leader");
  await createPool(ns, "studio", { replicas: 1 });
  await startWorker(ns, "studio", "w1").waitForLog("loaded and warmed models; worker ready", 120_000);
});
afterAll(stopAll);

const holder = async () =>
  (
    await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: "aria-operator", namespace: ns })
  ).spec?.holderIdentity;

describe("leader election", () => {
  it("lets only the leader reconcile, and hands over within the lease when it dies", async () => {
    const a = startOperator(ns, ["--identity", "replica-a"]);
    await a.waitForLog("started leading");
    const b = startOperator(ns, ["--identity", "replica-b"]);
    await b.waitForLog("caches synced");
    await createArtwork(ns, "one", { ...QUICK, poolRef: { name: "studio" } });
    await eventually(() => getArtwork(ns, "one"), isReady, 60_000);
    expect(await holder()).toBe("replica-a");
    expect(b.lines.some((l) => l.msg === "started leading")).toBe(false);
    expect(b.lines.some((l) => l.msg === "bound artwork to worker")).toBe(false);

    const killedAt = Date.now();
    await a.kill("SIGKILL");
    await b.waitForLog("started leading", 15_000);
    const takeover = Date.now() - killedAt;
    // Lease duration in these tests is 4 s; a retry period later at the most.
    expect(takeover).toBeLessThan(4_000 + 1_500);
    expect(await holder()).toBe("replica-b");
    await createArtwork(ns, "two", { ...QUICK, poolRef: { name: "studio" } });
    const two = await eventually(() => getArtwork(ns, "two"), isReady, 60_000);
    expect(two.status?.attempt).toBe(1);
  });
});
