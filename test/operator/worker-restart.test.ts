// A worker killed mid-render and started again at once under the same name, as a container restart
// does (the pod keeps its name). Its Lease never lapses (30 s here), so the operator sees nothing
// amiss: the new process itself must take up what the old one left, not leave it Generating.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  QUICK,
  readyReason,
  watchArtwork,
} from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll, type WorkerProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let w1: WorkerProc;
/** Longer than a restart takes, so the operator never presumes the worker lost. */
const LEASE = ["--lease-seconds", "30"];

beforeAll(async () => {
  ns = await createNamespace("wrestart");
  const operator = startOperator(ns);
  await createPool(ns, "studio");
  w1 = startWorker(ns, "studio", "w1", LEASE);
  await waitForWorkerReady(w1);
  await waitForLeading(operator);
});
afterAll(stopAll);

describe("a worker restarted under the same name mid-render", () => {
  it("hands back what its previous process was rendering, and the Artwork reaches Ready", async () => {
    await createArtwork(ns, "interrupted", {
      ...QUICK,
      poolRef: { name: "studio" },
      width: 128,
      height: 128,
      steps: 60,
      variations: 2,
    });
    await eventually(
      () => getArtwork(ns, "interrupted"),
      (a) => a.status?.phase === "Generating",
      60_000,
      50,
    );
    const watch = await watchArtwork(ns, "interrupted");
    await w1.kill("SIGKILL");
    const again = startWorker(ns, "studio", "w1", LEASE);
    // Bounded: a restart, model load and one small render; not the spec's 900 s timeout.
    const done = await eventually(() => getArtwork(ns, "interrupted"), isReady, 120_000, 250).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n--- restarted w1 ---\n${again.output().slice(-4000)}`);
      },
    );
    watch.stop();
    expect(done.status).toMatchObject({ phase: "Succeeded", worker: "w1", attempt: 2 });
    const handedBack = watch.versions.find((a) => readyReason(a) === "WorkerRestarted");
    expect(handedBack?.status).toMatchObject({ phase: "Pending", attempt: 1 });
    expect(handedBack?.status?.message).toContain("worker w1 restarted during attempt 1");
    // Never presumed lost: the Lease stayed live throughout.
    expect(watch.versions.some((a) => readyReason(a) === "WorkerLost")).toBe(false);
  });
});
