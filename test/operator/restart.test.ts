// The operator killed in the middle of a burst: a new one picks up from the API's state, and
// every Artwork still finishes exactly once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtwork, createPool, eventually, isReady, listArtworks, QUICK } from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll, type Proc } from "../support/processes.ts";

let ns: string;
let workers: Proc[];

beforeAll(async () => {
  ns = await createNamespace("restart");
  await createPool(ns, "studio");
  workers = [startWorker(ns, "studio", "w1"), startWorker(ns, "studio", "w2")];
  await Promise.all(workers.map((w) => w.waitForLog("loaded and warmed models; worker ready", 120_000)));
});
afterAll(stopAll);

describe("an operator restart mid-run", () => {
  it("loses and duplicates nothing", async () => {
    const first = startOperator(ns);
    await first.waitForLog("started leading");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createArtwork(ns, `art-${i}`, {
          ...QUICK,
          steps: 20,
          width: 128,
          height: 128,
          poolRef: { name: "studio" },
        }),
      ),
    );
    await first.waitForLog("bound artwork to worker");
    await first.kill("SIGKILL");

    const second = startOperator(ns);
    await second.waitForLog("started leading", 30_000);
    const done = await eventually(
      () => listArtworks(ns),
      (list) => list.length === 12 && list.every(isReady),
      120_000,
      500,
    );
    // Bound once (a second binding would be attempt 2) and rendered once.
    for (const art of done) expect(art.status?.attempt).toBe(1);
    const renders = workers.flatMap((w) => w.lines.filter((l) => l.msg === "finished artwork"));
    for (const art of done) {
      expect(renders.filter((l) => l.artwork === `${ns}/${art.metadata.name}`)).toHaveLength(1);
    }
  });
});
