// The operator killed in the middle of a burst: a new one picks up from the API's state, and
// every Artwork still finishes exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createArtwork,
  createPool,
  eventually,
  isReady,
  listArtworks,
  QUICK,
  rendersByArtwork,
} from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { startOperator, startWorker, stopAll, type WorkerProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let workers: WorkerProc[];

beforeAll(async () => {
  ns = await createNamespace("restart");
  await createPool(ns, "studio");
  workers = [startWorker(ns, "studio", "w1"), startWorker(ns, "studio", "w2")];
  await Promise.all(workers.map((w) => waitForWorkerReady(w)));
});
afterAll(stopAll);

describe("an operator restart mid-run", () => {
  it("loses and duplicates nothing", async () => {
    const first = startOperator(ns);
    await waitForLeading(first);
    const names = Array.from({ length: 12 }, (_, i) => `art-${i}`);
    await Promise.all(
      names.map((name) =>
        createArtwork(ns, name, {
          ...QUICK,
          steps: 20,
          width: 128,
          height: 128,
          poolRef: { name: "studio" },
        }),
      ),
    );
    // Killed once it has bound the first Artwork, with the rest of the burst still to schedule.
    await eventually(
      () => listArtworks(ns),
      (list) => list.some((a) => a.status?.worker),
      30_000,
      50,
    );
    await first.kill("SIGKILL");

    const second = startOperator(ns);
    await waitForLeading(second, 30_000);
    const done = await eventually(
      () => listArtworks(ns),
      (list) => list.length === 12 && list.every(isReady),
      120_000,
      500,
    );
    // Bound once (a second binding would be attempt 2) and rendered once: one render started and
    // one finished per Artwork, by the worker it is bound to, and the workers together timed 12.
    for (const art of done) expect(art.status?.attempt).toBe(1);
    const renders = await rendersByArtwork(ns, names);
    for (const art of done) {
      const name = art.metadata.name ?? "";
      expect(renders.get(name), name).toEqual({
        started: [art.status?.worker],
        succeeded: [art.status?.worker],
      });
    }
    const timed = await Promise.all(
      workers.map((w) => scrapeMetric(w, "aria_generation_duration_seconds_count")),
    );
    expect(timed.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
