// 20 Artworks applied at once onto a pool of 2 workers: each reaches Ready exactly once, and no
// worker ever runs more than its capacity.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Watch } from "@kubernetes/client-node";
import type { Artwork } from "../../crds/artwork.ts";
import { createArtwork, createPool, eventually, isReady, listArtworks, QUICK } from "../support/artworks.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;

beforeAll(async () => {
  ns = await createNamespace("sched");
  operator = startOperator(ns);
  await createPool(ns, "studio", { concurrency: 1 });
  const workers = [startWorker(ns, "studio", "w1"), startWorker(ns, "studio", "w2")];
  await Promise.all(workers.map((w) => waitForWorkerReady(w)));
  await waitForLeading(operator);
});
afterAll(stopAll);

describe("scheduling", () => {
  it("runs 20 Artworks applied at once to Ready exactly once, never over a worker's capacity", async () => {
    const active = new Map<string, string>();
    let maxPerWorker = 0;
    const bindCount = new Map<string, number>();
    const appliedAt = new Map<string, number>();
    const boundAt = new Map<string, number>();
    const watch = await new Watch(kubeConfig()).watch(
      `/apis/aria.dev/v1alpha1/namespaces/${ns}/artworks`,
      {},
      (_type, art: Artwork) => {
        const name = art.metadata.name ?? "";
        const s = art.status;
        if (s?.worker && !boundAt.has(name)) boundAt.set(name, Date.now());
        if (s?.phase === "Scheduled") bindCount.set(`${name}#${s.attempt}`, 1);
        if (s?.worker && ["Scheduled", "Generating", "Curating"].includes(s.phase ?? ""))
          active.set(name, s.worker);
        else active.delete(name);
        const perWorker = new Map<string, number>();
        for (const w of active.values()) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
        maxPerWorker = Math.max(maxPerWorker, ...perWorker.values(), 0);
      },
      () => undefined,
    );
    const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    await Promise.all(
      names.map(async (name) => {
        appliedAt.set(name, Date.now());
        await createArtwork(ns, name, { ...QUICK, poolRef: { name: "studio" } });
      }),
    );
    const done = await eventually(
      () => listArtworks(ns),
      (list) => list.length === 20 && list.every((a) => isReady(a)),
      120_000,
      500,
    );
    watch.abort();

    for (const art of done) {
      expect(art.status).toMatchObject({
        phase: "Succeeded",
        attempt: 1,
        model: "aria-painter",
        modelReason: expect.any(String),
      });
      expect(art.status?.seed).toBeTypeOf("number");
      expect(art.status?.timings?.queuedSeconds).toBeTypeOf("number");
      expect(art.status?.timings?.generateSeconds).toBeGreaterThan(0);
      expect(["w1", "w2"]).toContain(art.status?.worker);
    }
    expect(new Set(done.map((a) => a.status?.worker))).toEqual(new Set(["w1", "w2"]));
    expect([...bindCount.keys()].filter((k) => k.endsWith("#1"))).toHaveLength(20);
    expect([...bindCount.keys()].filter((k) => !k.endsWith("#1"))).toHaveLength(0);
    expect(maxPerWorker).toBe(1);

    const latencies = names
      .map((n) => (boundAt.get(n) ?? NaN) - (appliedAt.get(n) ?? NaN))
      .sort((a, b) => a - b);
    const reconciles = await scrapeMetric(operator, "controller_runtime_reconcile_total", {
      controller: "artwork",
    });
    console.log(
      `apply→bound over 20 Artworks: median ${latencies[10]} ms, worst ${latencies[19]} ms; ` +
        `artwork reconciles per Artwork: ${(reconciles / 20).toFixed(1)}`,
    );
  });
});
