// Broken storage takes a worker out of scheduling: a volume that turns read-only or fills up shows
// in the worker's Lease report and /readyz within a heartbeat, the scheduler binds elsewhere, and
// an Artwork that ran out of space on one worker is finished by another, leaving nothing behind.
// The faults are real: a small tmpfs, remounted read-only or filled to the last byte.
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TmpfsVolume } from "../fixtures/tmpfs-volume.ts";
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
import { httpGet, waitForLeading, waitForWorkerReady, waitForWorkerReport } from "../support/waits.ts";

let ns: string;
let volume: TmpfsVolume;
// When both are idle the scheduler picks the lower id, so "a-faulty" is the first choice.
let faulty: WorkerProc;
let healthy: WorkerProc;

describe.skipIf(!(await TmpfsVolume.available()))("a worker whose storage fails", () => {
  beforeAll(async () => {
    ns = await createNamespace("storage");
    volume = await TmpfsVolume.mount(16 * 1024);
    const operator = startOperator(ns);
    await createPool(ns, "studio");
    faulty = startWorker(ns, "studio", "a-faulty", ["--storage-dir", volume.dir, "--min-free-mb", "1"]);
    healthy = startWorker(ns, "studio", "b-healthy");
    await Promise.all([waitForWorkerReady(faulty), waitForWorkerReady(healthy)]);
    await waitForLeading(operator);
  });
  afterAll(async () => {
    await stopAll();
    await volume?.unmount();
  });

  it("reports not ready within a heartbeat when its volume turns read-only, so work goes elsewhere", async () => {
    await volume.setReadOnly(true);
    const started = Date.now();
    const report = await waitForWorkerReport(faulty, (r) => !r.ready, 10_000);
    // Checked every heartbeat interval (1 s with --lease-seconds 3) and announced with a beat at once.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report).toMatchObject({ ready: false, reason: "StorageUnwritable" });
    expect(report.message).toMatch(/is not writable: .*EROFS/);
    const readyz = await httpGet(faulty, "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.body).toMatch(/^StorageUnwritable: /);

    for (const name of ["ro-1", "ro-2"])
      await createArtwork(ns, name, { ...QUICK, poolRef: { name: "studio" } });
    for (const name of ["ro-1", "ro-2"]) {
      const done = await eventually(() => getArtwork(ns, name), isReady, 60_000, 250);
      expect(done.status).toMatchObject({ phase: "Succeeded", worker: "b-healthy", attempt: 1 });
    }

    // Writable again: ready again, without a restart.
    await volume.setReadOnly(false);
    await waitForWorkerReady(faulty, 10_000);
    expect(faulty.running()).toBe(true);
  });

  it("hands an Artwork that ran out of space to another worker, and leaves no file behind", async () => {
    await volume.setReadOnly(false);
    await waitForWorkerReady(faulty, 10_000);
    await createArtwork(ns, "full", {
      poolRef: { name: "studio" },
      width: 256,
      height: 256,
      steps: 60,
      variations: 4,
    });
    const watch = await watchArtwork(ns, "full");
    const running = await eventually(
      () => getArtwork(ns, "full"),
      (a) => a.status?.phase === "Generating",
      60_000,
      100,
    );
    expect(running.status?.worker).toBe("a-faulty");
    await volume.fill();

    const done = await eventually(() => getArtwork(ns, "full"), isReady, 120_000, 250);
    watch.stop();
    expect(done.status).toMatchObject({ phase: "Succeeded", worker: "b-healthy", attempt: 2 });
    // The first attempt was handed back as the worker's fault, not failed.
    const handedBack = watch.versions.find((a) => readyReason(a) === "StorageFull");
    expect(handedBack?.status).toMatchObject({ phase: "Pending", attempt: 1 });
    expect(handedBack?.status?.message).toMatch(
      /on worker a-faulty: .*ENOSPC|cannot take work: only 0 MiB free/,
    );
    expect(watch.versions.some((a) => a.status?.phase === "Failed")).toBe(false);

    const report = await waitForWorkerReport(faulty, (r) => !r.ready, 10_000);
    expect(report.reason).toBe("StorageFull");
    expect((await httpGet(faulty, "/readyz")).status).toBe(503);
    // Only the filler is left: no candidate of the failed attempt, no temp file.
    const files = (await readdir(volume.dir, { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    expect(files.map((e) => e.name)).toEqual(["filler"]);

    await volume.drain();
    await waitForWorkerReady(faulty, 10_000);
  });
});
