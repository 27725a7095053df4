// The API server away for a minute in the middle of renders: frozen (SIGSTOP, so connections hang)
// and killed (connections refused) then started again with the same flags. The operator and the
// workers run under a supervisor that restarts them as a Deployment would. Every Artwork still
// reaches Ready once, on its first attempt, rendered once; no worker restarts (nor does one that
// starts while the API server is away); while the API server is away the workers and the operator
// say they are not ready. This file runs its own control plane, so the other test files' API
// server is never frozen.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  restartApiserver,
  startControlPlane,
  stopControlPlane,
  type ControlPlaneState,
} from "../controlplane/control-plane.ts";
import type { ArtworkSpec } from "../../crds/artwork.ts";
import {
  createArtwork,
  createPool,
  eventually,
  isReady,
  listArtworks,
  QUICK,
  rendersByArtwork,
} from "../support/artworks.ts";
import { createNamespace, useControlPlane } from "../support/cluster.ts";
import { scrapeMetric } from "../support/metrics.ts";
import {
  startOperator,
  startWorker,
  stopAll,
  type OperatorProc,
  type WorkerProc,
} from "../support/processes.ts";
import { supervise, type Supervised } from "../support/supervisor.ts";
import { httpGet, waitFor, waitForLeading, waitForWorkerReady } from "../support/waits.ts";

/** Small, but long enough (seconds) that the API server goes away while it renders. */
const RENDER: Partial<ArtworkSpec> = { ...QUICK, width: 128, height: 128, steps: 40, variations: 2 };

let cp: ControlPlaneState;
let ns: string;
let operator: Supervised<OperatorProc>;
let workers: Array<Supervised<WorkerProc>>;
/** Artworks created so far: each rendered exactly once across the whole file. */
const created: string[] = [];

beforeAll(async () => {
  cp = await startControlPlane({
    dataDir: await mkdtemp(join(tmpdir(), "aria-outage-")),
    log: () => undefined,
  });
  useControlPlane(cp);
  ns = await createNamespace("outage");
  await createPool(ns, "studio");
  workers = ["w1", "w2"].map((id) => supervise(() => startWorker(ns, "studio", id)));
  operator = supervise(() => startOperator(ns));
  await Promise.all(workers.map((w) => waitForWorkerReady(w.current())));
  await waitForLeading(operator.current());
});

afterAll(async () => {
  await Promise.all([operator, ...workers].filter(Boolean).map((s) => s.stop()));
  await stopAll();
  if (cp) await stopControlPlane(cp);
});

const apiserverPid = () => cp.pids[cp.pids.length - 1]!;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the Artworks and resolves once every one is rendering on a worker. */
async function startRenders(names: string[]) {
  created.push(...names);
  await Promise.all(names.map((name) => createArtwork(ns, name, { ...RENDER, poolRef: { name: "studio" } })));
  await eventually(
    () => listArtworks(ns),
    (list) => names.every((n) => list.find((a) => a.metadata.name === n)?.status?.phase === "Generating"),
    60_000,
    50,
  );
}

/**
 * Takes the API server away for `forMs` and brings it back, polling meanwhile what each process's
 * /readyz says; resolves with the time it started coming back and which processes said they were
 * not ready (a worker naming the unreachable API, the operator by anything but 200).
 */
async function outage(goAway: () => void, comeBack: () => unknown, forMs: number) {
  goAway();
  const awayAt = Date.now();
  const notReady = { workers: workers.map(() => false), operator: false };
  let backAt: number;
  try {
    while (Date.now() - awayAt < forMs) {
      const readyz = await Promise.all(workers.map((w) => httpGet(w.current(), "/readyz")));
      readyz.forEach((r, i) => {
        if (r.status === 503 && r.body.includes("Kubernetes API unreachable")) notReady.workers[i] = true;
      });
      if ((await httpGet(operator.current(), "/readyz")).status !== 200) notReady.operator = true;
      await sleep(500);
    }
  } finally {
    backAt = Date.now();
    await comeBack();
  }
  return { backAt, notReady };
}

/** After the API server is back: each Artwork Ready on attempt 1, rendered once, no worker restarted. */
async function expectEachRenderedOnce(names: string[], backAt: number) {
  // The API server may still answer 429 or 503 for a moment after it is back: those reads count as not yet.
  const done = await waitFor(
    `${names.join(", ")} Ready`,
    () => listArtworks(ns),
    (list) => names.every((n) => list.some((a) => a.metadata.name === n && isReady(a))),
    { timeoutMs: 180_000, intervalMs: 500 },
  ).catch((err: unknown) => {
    throw new Error(
      `${String(err)}\n--- operator ---\n${operator.output().slice(-3000)}\n` +
        workers.map((w) => `--- ${w.current().id} ---\n${w.output().slice(-3000)}`).join("\n"),
    );
  });
  for (const name of names) {
    const art = done.find((a) => a.metadata.name === name)!;
    expect(art.status, name).toMatchObject({ phase: "Succeeded", attempt: 1 });
    // Rendered while the API server was away: the result waited in the worker until it could be written.
    expect(Date.parse(art.status?.completionTime ?? ""), name).toBeLessThan(backAt);
  }
  // Finished once, by the worker it is bound to. (A Generating Event recorded just as the API server
  // went away may be lost, as Events may: the renders themselves are counted by the workers below.)
  const renders = await rendersByArtwork(ns, names);
  for (const name of names) {
    const worker = done.find((a) => a.metadata.name === name)?.status?.worker;
    expect(renders.get(name)?.succeeded, name).toEqual([worker]);
  }
  expect(workers.map((w) => w.restarts())).toEqual([0, 0]);
  // The same worker processes rendered every Artwork of this file, each exactly once.
  for (const w of workers) {
    const bound = done.filter(
      (a) => created.includes(a.metadata.name ?? "") && a.status?.worker === w.current().id,
    );
    expect(await scrapeMetric(w.current(), "aria_generation_duration_seconds_count"), w.current().id).toBe(
      bound.length,
    );
  }
  for (const w of workers) await waitForWorkerReady(w.current(), 60_000);
  await waitFor(
    "operator /readyz 200",
    () => httpGet(operator.current(), "/readyz"),
    (r) => r.status === 200,
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
}

describe("an API server that goes away mid-render", () => {
  it("is ridden out when it freezes for 60 s (SIGSTOP: connections hang)", async () => {
    await startRenders(["frozen-1", "frozen-2"]);
    const { backAt, notReady } = await outage(
      () => process.kill(apiserverPid(), "SIGSTOP"),
      () => process.kill(apiserverPid(), "SIGCONT"),
      60_000,
    );
    await expectEachRenderedOnce(["frozen-1", "frozen-2"], backAt);
    expect(notReady).toEqual({ workers: [true, true], operator: true });
  }, 420_000);

  it("is ridden out when it is killed and started again with the same flags 40 s later", async () => {
    await startRenders(["killed-1", "killed-2"]);
    const { backAt, notReady } = await outage(
      () => process.kill(apiserverPid(), "SIGKILL"),
      () => restartApiserver(cp),
      40_000,
    );
    await expectEachRenderedOnce(["killed-1", "killed-2"], backAt);
    expect(notReady).toEqual({ workers: [true, true], operator: true });
  }, 420_000);

  it("does not crash-loop a worker that starts while the API server is away", async () => {
    process.kill(apiserverPid(), "SIGKILL");
    const late = supervise(() => startWorker(ns, "studio", "w3"));
    try {
      // Long enough for a worker that gives up on its first API call to have exited.
      await sleep(20_000);
      await restartApiserver(cp);
      await waitForWorkerReady(late.current());
      expect(late.restarts()).toBe(0);
    } finally {
      if (!alive(apiserverPid())) await restartApiserver(cp);
      await late.stop();
    }
  }, 300_000);
});
