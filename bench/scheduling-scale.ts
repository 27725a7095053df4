// Scheduling at scale: a local control plane, the operator and 4 workers running aria-painter at
// 64×64, 1 step, 1 variation; N Artworks (default 1,000) created in one burst, ~50 requests in
// flight. A watch on artworks records every write each Artwork receives.
// Run: npx tsx bench/scheduling-scale.ts [--artworks 1000] [--repeats 2] [--profile-operator DIR]
// (--profile-operator writes a V8 CPU profile of each run's operator into DIR.)
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ARTWORK, MODEL_POOL } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import { waitForWorkerReady } from "../test/support/waits.ts";
import { LocalCluster } from "./local-cluster.ts";
import { machineFacts, median, numberFlag, percentile, printTable, rssMb } from "./report.ts";

const ARTWORKS = numberFlag("artworks", 1000);
const REPEATS = numberFlag("repeats", 2);
const WORKERS = 4;
const IN_FLIGHT = 50;
const POOL = "scale";
const DRAIN_TIMEOUT_MS = 20 * 60_000;
const profileFlag = process.argv.indexOf("--profile-operator");
const PROFILE_DIR = profileFlag < 0 ? undefined : process.argv[profileFlag + 1];
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });

interface Life {
  applied: number;
  bound?: number;
  worker?: string;
  readyTransitions: number;
  finished?: number;
  writes: number;
  progressOnly: number;
  last?: Artwork;
}

interface RunFigures {
  applyToBound: number[];
  slotToBind: number[];
  maxRssMb: number;
  heapUsedMb: number;
  writesPerArtwork: number;
  maxWrites: number;
  progressWritesPerArtwork: number;
  reconcilesPerArtwork: number;
  drainSeconds: number;
  readyOnce: number;
  failed: number;
}

machineFacts({
  Scenario: `${ARTWORKS} Artworks in one burst (${IN_FLIGHT} creates in flight), ${WORKERS} workers, aria-painter 64×64, 1 step, 1 variation; ${REPEATS} run(s)`,
  Operator: "dist/aria-operator.mjs (npm run build), MALLOC_ARENA_MAX=2, --max-semi-space-size=4",
});

const cluster = await LocalCluster.start();
const runs: RunFigures[] = [];
try {
  for (let r = 0; r < REPEATS; r++) runs.push(await run(r));
} finally {
  await cluster.stop();
}

const all = (pick: (f: RunFigures) => number) => runs.map(pick);
const missed = printTable("Scheduling at scale", [
  {
    figure: "slot free → next bind, p50 (against the p50 target)",
    samples: all((f) => percentile(f.slotToBind, 50)),
    unit: "ms",
    target: { op: "≤", value: 50 },
  },
  {
    figure: "slot free → next bind, p99 (against the p99 target)",
    samples: all((f) => percentile(f.slotToBind, 99)),
    unit: "ms",
    target: { op: "≤", value: 500 },
  },
  {
    figure: "apply → bound, p50 (queue wait included)",
    samples: all((f) => percentile(f.applyToBound, 50)),
    unit: "ms",
  },
  {
    figure: "apply → bound, p99 (queue wait included)",
    samples: all((f) => percentile(f.applyToBound, 99)),
    unit: "ms",
  },
  {
    figure: "operator RSS, max",
    samples: all((f) => f.maxRssMb),
    unit: "MB",
    target: { op: "≤", value: 150 },
  },
  {
    figure: "  operator V8 heap in use, after the burst",
    samples: all((f) => f.heapUsedMb),
    unit: "MB",
  },
  {
    figure: "API writes per Artwork (mean, progress excluded)",
    samples: all((f) => f.writesPerArtwork),
    unit: "",
    digits: 2,
    target: { op: "≤", value: 5 },
  },
  {
    figure: "API writes per Artwork (max, progress excluded)",
    samples: all((f) => f.maxWrites),
    unit: "",
    digits: 0,
  },
  {
    figure: "  progress-only writes per Artwork (mean)",
    samples: all((f) => f.progressWritesPerArtwork),
    unit: "",
    digits: 2,
  },
  {
    figure: "artwork reconciles per Artwork",
    samples: all((f) => f.reconcilesPerArtwork),
    unit: "",
    digits: 2,
    target: { op: "≤", value: 10 },
  },
  { figure: "drain time (first create → last Ready)", samples: all((f) => f.drainSeconds), unit: "s" },
  {
    figure: "Artworks Ready exactly once",
    samples: all((f) => f.readyOnce),
    unit: "",
    digits: 0,
    target: { op: "≥", value: ARTWORKS },
  },
]);
console.log(
  "Note: with 4 workers of capacity 1, apply → bound is almost entirely queue wait (Artwork k waits for\n" +
    "about k/4 renders), so it grows with the burst size whatever the scheduler does. The scheduler's own\n" +
    "latency is the time from a worker slot freeing (its Artwork's Ready event) to the next Artwork bound\n" +
    "to that worker while others still wait; that is the figure reported against the 50/500 ms targets.",
);
if (missed.length > 0) console.log(`Missed: ${missed.map((f) => f.figure).join("; ")}`);

async function run(index: number): Promise<RunFigures> {
  const ns = await cluster.namespace(`scale-${index}-${Date.now().toString(36)}`);
  await cluster.pool(ns, POOL, { replicas: WORKERS });
  const operator = cluster.operator(
    ns,
    PROFILE_DIR
      ? {
          NODE_OPTIONS: `--import tsx --import ${fileURLToPath(new URL("cpu-profiler.ts", import.meta.url))}`,
          ARIA_CPU_PROFILE: join(PROFILE_DIR, `operator-run-${index + 1}.cpuprofile`),
        }
      : {},
  );
  const port = await operator.port();
  const workers = Array.from({ length: WORKERS }, (_, i) => cluster.worker(ns, POOL, `w${i + 1}`));
  await Promise.all(workers.map((w) => waitForWorkerReady(w, 300_000)));
  await waitForReadyWorkers(ns);

  const lives = new Map<string, Life>();
  const frees: Array<{ worker: string; at: number; queued: number }> = [];
  const binds: Array<{ worker: string; at: number }> = [];
  let unbound = 0;
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));

  const onEvent = (type: string, art: Artwork) => {
    const now = performance.now();
    const life = lives.get(art.metadata.name ?? "");
    if (!life) return;
    const prev = life.last;
    life.last = art;
    if (type !== "MODIFIED" || !prev) return;
    life.writes++;
    if (progressOnly(prev, art)) life.progressOnly++;
    if (life.bound === undefined && art.status?.worker) {
      life.bound = now;
      life.worker = art.status.worker;
      unbound--;
      binds.push({ worker: art.status.worker, at: now });
    }
    if (!isReady(prev) && isReady(art)) {
      life.readyTransitions++;
      if (life.finished === undefined) {
        life.finished = now;
        frees.push({ worker: life.worker ?? "", at: now, queued: unbound });
        if (++done === ARTWORKS) allDone();
      }
    }
  };
  const watch = await cluster.watchArtworks(ns, onEvent);

  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssMb(operator.child.pid!)), 200);
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ARTWORKS) {
        const name = `art-${String(next++).padStart(4, "0")}`;
        lives.set(name, { applied: performance.now(), readyTransitions: 0, writes: 0, progressOnly: 0 });
        unbound++;
        await cluster.client.create<Artwork>(ARTWORK, ns, {
          apiVersion: "aria.dev/v1alpha1",
          kind: "Artwork",
          metadata: { name },
          spec: {
            prompt: "a red fox in a green forest",
            poolRef: { name: POOL },
            model: "aria-painter",
            width: 64,
            height: 64,
            steps: 1,
            variations: 1,
            guidanceScale: 1,
          },
        });
      }
    }),
  );
  const timeout = setTimeout(allDone, DRAIN_TIMEOUT_MS);
  await finished;
  clearTimeout(timeout);
  const drainSeconds = (performance.now() - start) / 1000;
  // Late writes (a second Ready, a stray update) would show up in the next moment.
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(sampler);
  watch.stop();

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const reconciles = artworkReconciles(metrics);
  // A clean exit is what makes V8 write the profile.
  if (PROFILE_DIR) await operator.kill("SIGTERM");
  await cluster.stopProcesses();

  const values = [...lives.values()];
  const bound = values.filter((l) => l.bound !== undefined);
  const failed = values.filter((l) => l.last?.status?.phase === "Failed").length;
  const figures: RunFigures = {
    applyToBound: bound.map((l) => l.bound! - l.applied),
    slotToBind: slotToBind(frees, binds),
    maxRssMb: Math.max(...rss),
    heapUsedMb: Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN) / 2 ** 20,
    writesPerArtwork: mean(values.map((l) => l.writes - l.progressOnly)),
    maxWrites: Math.max(...values.map((l) => l.writes - l.progressOnly)),
    progressWritesPerArtwork: mean(values.map((l) => l.progressOnly)),
    reconcilesPerArtwork: [...reconciles.values()].reduce((a, b) => a + b, 0) / ARTWORKS,
    drainSeconds,
    readyOnce: values.filter((l) => l.readyTransitions === 1).length,
    failed,
  };
  console.log(
    `run ${index + 1}: ${figures.readyOnce}/${ARTWORKS} Ready exactly once, ${failed} Failed, drained in ` +
      `${drainSeconds.toFixed(1)} s; apply→bound p50 ${percentile(figures.applyToBound, 50).toFixed(0)} ms; ` +
      `slot→bind p50 ${median(figures.slotToBind).toFixed(1)} ms over ${figures.slotToBind.length} frees; ` +
      `artwork reconciles by result: ${[...reconciles].map(([r, n]) => `${r} ${n}`).join(", ")}`,
  );
  return figures;
}

/** For each Ready while Artworks were still waiting: time until that worker's next binding. */
function slotToBind(
  frees: ReadonlyArray<{ worker: string; at: number; queued: number }>,
  binds: ReadonlyArray<{ worker: string; at: number }>,
): number[] {
  const out: number[] = [];
  for (const free of frees) {
    if (free.queued <= 0) continue;
    const next = binds.find((b) => b.worker === free.worker && b.at >= free.at);
    if (next) out.push(next.at - free.at);
  }
  return out;
}

/** A write that changed nothing but status.progress (the worker's throttled progress updates). */
function progressOnly(before: Artwork, after: Artwork): boolean {
  const strip = (a: Artwork) => {
    const { progress: _progress, ...status } = a.status ?? {};
    const m = a.metadata;
    return JSON.stringify([status, m.labels, m.annotations, m.finalizers, m.deletionTimestamp]);
  };
  return strip(before) === strip(after);
}

function isReady(art: Artwork): boolean {
  return art.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The artwork controller's reconciles by result (success, error, requeue, …), from /metrics. */
function artworkReconciles(metrics: string): Map<string, number> {
  const byResult = new Map<string, number>();
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("controller_runtime_reconcile_total{") || !line.includes('controller="artwork"'))
      continue;
    const result = /result="([^"]*)"/.exec(line)?.[1] ?? "";
    byResult.set(result, (byResult.get(result) ?? 0) + Number(line.split(" ").at(-1)));
  }
  return byResult;
}

/** The burst starts once the operator sees all workers warm, so startup is not in the figures. */
async function waitForReadyWorkers(ns: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const pool = await cluster.client.get<ModelPool>(MODEL_POOL, ns, POOL);
    if ((pool.status?.readyReplicas ?? 0) >= WORKERS) return;
    if (Date.now() > deadline) throw new Error(`the operator did not see ${WORKERS} ready workers`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
