// A worker killed mid-run: its Artwork goes back to the queue, another worker finishes it, and a
// late write from the dead worker's attempt is rejected by the API server. Workers run with
// `--lease-seconds 3` (test/support/processes.ts), so a loss is noticed within seconds.
import { CoordinationV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTWORK } from "../../crds/api.ts";
import type { ArtworkSpec } from "../../crds/artwork.ts";
import { workerLeaseName } from "../../crds/worker-protocol.ts";
import { statusCode } from "../../lib/kube/kube-errors.ts";
import {
  aria,
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  QUICK,
  readyReason,
  watchArtwork,
} from "../support/artworks.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll, type WorkerProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
const workers = new Map<string, WorkerProc>();

beforeAll(async () => {
  ns = await createNamespace("loss");
  const operator = startOperator(ns);
  await createPool(ns, "studio");
  for (const id of ["w1", "w2"]) workers.set(id, startWorker(ns, "studio", id));
  await Promise.all([...workers.values()].map((w) => waitForWorkerReady(w)));
  await waitForLeading(operator);
});
afterAll(stopAll);

/** Starts an Artwork long enough to be interrupted (150 steps, 4 candidates) and waits until it runs. */
async function startLongArtwork(name: string, extra: Partial<ArtworkSpec> = {}) {
  await createArtwork(ns, name, {
    poolRef: { name: "studio" },
    width: 256,
    height: 256,
    steps: 150,
    variations: 4,
    ...extra,
  });
  return eventually(
    () => getArtwork(ns, name),
    (a) => a.status?.phase === "Generating",
    60_000,
    100,
  );
}

describe("a live worker", () => {
  it("holds a Lease of --lease-seconds, renewed every third of it", async () => {
    const api = kubeConfig().makeApiClient(CoordinationV1Api);
    const read = () => api.readNamespacedLease({ name: workerLeaseName("studio", "w1"), namespace: ns });
    expect((await read()).spec?.leaseDurationSeconds).toBe(3);
    // Sampled for 3.5 s: a renewal a second shows at least two new renewTimes (5 s renewals, none or one).
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) {
      seen.add(String((await read()).spec?.renewTime));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
  });
});

describe("a worker killed mid-run", () => {
  it("has its Artwork rebound and finished elsewhere, and its late write rejected", async () => {
    const running = await startLongArtwork("long");
    const first = running.status?.worker ?? "";
    expect(running.status?.attempt).toBe(1);
    await workers.get(first)!.kill("SIGKILL");
    // Lost one 3 s lease after its last renewal was seen (plus the expiry check and a reconcile).
    const rebound = await eventually(
      () => getArtwork(ns, "long"),
      (a) => (a.status?.attempt ?? 0) >= 2,
      10_000,
      100,
    );
    expect(rebound.status?.worker).not.toBe(first);

    const done = await eventually(() => getArtwork(ns, "long"), isReady, 120_000, 250);
    const survivor = first === "w1" ? "w2" : "w1";
    expect(done.status).toMatchObject({ phase: "Succeeded", attempt: 2, worker: survivor });
    expect(done.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");

    // What the dead worker would have written had it come back: fenced on its attempt.
    const late = await aria()
      .jsonPatchStatus(ARTWORK, ns, "long", [
        { op: "test", path: "/status/worker", value: first },
        { op: "test", path: "/status/attempt", value: 1 },
        { op: "add", path: "/status/phase", value: "Failed" },
      ])
      .then(
        () => 200,
        (err: unknown) => statusCode(err),
      );
    expect(late).toBe(422);
    expect((await getArtwork(ns, "long")).status?.phase).toBe("Succeeded");
  });

  it("fails an Artwork with a clear reason once spec.maxAttempts workers were lost", async () => {
    const running = await startLongArtwork("doomed", { maxAttempts: 1 });
    await workers.get(running.status?.worker ?? "")!.kill("SIGKILL");
    const failed = await eventually(
      () => getArtwork(ns, "doomed"),
      (a) => a.status?.phase === "Failed",
      60_000,
      250,
    );
    const stalled = failed.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: "WorkerLost" });
    expect(stalled?.message).toContain("spec.maxAttempts=1");
  });

  it("times out an Artwork that runs past spec.timeoutSeconds, with a clear reason", async () => {
    // The workers above were killed; a fresh one takes this Artwork.
    const t1 = startWorker(ns, "studio", "t1");
    workers.set("t1", t1);
    await waitForWorkerReady(t1);
    await createArtwork(ns, "slow", {
      poolRef: { name: "studio" },
      width: 512,
      height: 512,
      steps: 150,
      variations: 8,
      timeoutSeconds: 2,
    });
    const failed = await eventually(
      () => getArtwork(ns, "slow"),
      (a) => a.status?.phase === "Failed",
      60_000,
      250,
    );
    const stalled = failed.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled).toMatchObject({
      status: "True",
      reason: "Timeout",
      message: "did not finish within spec.timeoutSeconds (2s)",
    });
    // The timeout ended the attempt: the worker's progress writes (every 0.5 s while it rendered)
    // are fenced out, and it stops rendering, so its only slot takes the next Artwork at once.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const later = await getArtwork(ns, "slow");
    expect(later.status?.phase).toBe("Failed");
    expect(readyReason(later)).toBe("Timeout");
    expect(later.status?.progress).toBeUndefined();
    expect(later.status?.worker).toBeUndefined();
    await createArtwork(ns, "after-slow", { ...QUICK, poolRef: { name: "studio" } });
    const next = await eventually(() => getArtwork(ns, "after-slow"), isReady, 30_000, 250);
    expect(next.status?.worker).toBe("t1");
    expect((await getArtwork(ns, "slow")).status?.phase).toBe("Failed");
  });
});

describe("a worker asked to stop", () => {
  it("hands its running Artwork back on SIGTERM so another worker finishes it", async () => {
    // Only the two workers of this test may take the Artwork, so that the one SIGTERMed holds it;
    // the idle t1 stops gracefully, which deletes its Lease, so the scheduler no longer binds to it.
    await workers.get("t1")?.kill("SIGTERM");
    for (const id of ["d1", "d2"]) workers.set(id, startWorker(ns, "studio", id, ["--drain-seconds", "1"]));
    await Promise.all(["d1", "d2"].map((id) => waitForWorkerReady(workers.get(id)!)));
    // Long enough (several seconds even on an idle machine) that the 1 s drain cannot see it finish.
    const running = await startLongArtwork("handed", { width: 512, height: 384, variations: 6 });
    const firstId = running.status?.worker ?? "";
    // Every version from here on: the handed-back one lasts only until the operator binds it again.
    const watch = await watchArtwork(ns, "handed");
    await workers.get(firstId)!.kill("SIGTERM");
    const done = await eventually(() => getArtwork(ns, "handed"), isReady, 120_000, 250);
    watch.stop();
    expect(done.status?.attempt).toBe(2);
    expect(done.status?.worker).not.toBe(firstId);
    // The worker handed it back itself (not lost: that would read WorkerLost), unbound and pending.
    const handedBack = watch.versions.find((a) => readyReason(a) === "HandedBack");
    expect(handedBack?.status).toMatchObject({ phase: "Pending", attempt: 1 });
    expect(handedBack?.status?.worker).toBeUndefined();
    expect(handedBack?.status?.message).toContain(`worker ${firstId} shut down`);
    expect(watch.versions.some((a) => readyReason(a) === "WorkerLost")).toBe(false);
  });
});
