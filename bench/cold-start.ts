// Warm pool vs cold start: apply → Ready for one small Artwork with a warm worker waiting, and with
// no worker at all (the worker process starts after the apply, so process start, model load and
// warm-up are in the path), for aria-painter and for aria-painter-xl (≈1 GB of UNet weights).
// Run: npx tsx bench/cold-start.ts [--repeats 3]
import { ARTWORK } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { ModelPoolSpec } from "../crds/model-pool.ts";
import { ensureBuiltinModel } from "../models/builtin.ts";
import type { Proc } from "../test/controlplane/aria-process.ts";
import { waitForWorkerReady } from "../test/support/waits.ts";
import { BUILTIN_POOL_MODELS, LocalCluster } from "./local-cluster.ts";
import { machineFacts, median, numberFlag, printTable, type Figure } from "./report.ts";

const REPEATS = numberFlag("repeats", 3);

const xlDir = await ensureBuiltinModel("aria-painter", { scale: "1gb" });
const variants: Array<{ label: string; model: string; models: ModelPoolSpec["models"] }> = [
  { label: "aria-painter", model: "aria-painter", models: BUILTIN_POOL_MODELS },
  {
    label: "aria-painter-xl (≈1 GB)",
    model: "aria-painter-xl",
    models: [
      { name: "aria-painter-xl", role: "generator", source: { path: xlDir } },
      ...BUILTIN_POOL_MODELS.filter((m) => m.role !== "generator"),
    ],
  },
];

machineFacts({
  Artwork: `64×64, 2 steps, 1 variation; ${REPEATS} repeats per figure`,
  "xl model": xlDir,
});

const cluster = await LocalCluster.start();
const figures: Figure[] = [];
try {
  const ns = await cluster.namespace("cold-start");
  cluster.operator(ns);
  const ready = new Map<string, () => void>();
  const watch = await cluster.watchArtworks(ns, (_type, art) => {
    if (art.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
      ready.get(art.metadata.name ?? "")?.();
  });
  let serial = 0;
  /** Creates an Artwork and resolves with its apply → Ready time once `started` (if any) has run. */
  const applyToReady = async (pool: string, model: string, started: () => void = () => {}) => {
    const name = `art-${serial++}`;
    const done = new Promise<void>((resolve) => ready.set(name, resolve));
    const start = performance.now();
    await cluster.client.create<Artwork>(ARTWORK, ns, {
      apiVersion: "aria.dev/v1alpha1",
      kind: "Artwork",
      metadata: { name },
      spec: {
        prompt: "a blue lake under a calm sky",
        poolRef: { name: pool },
        model,
        width: 64,
        height: 64,
        steps: 2,
        variations: 1,
        guidanceScale: 1,
      },
    });
    started();
    const timer = setTimeout(() => {
      void cluster.client.get<Artwork>(ARTWORK, ns, name).then((a) => {
        console.error(`${name} is not Ready after 10 min: ${JSON.stringify(a.status)}`);
        process.exit(1);
      });
    }, 600_000);
    await done;
    clearTimeout(timer);
    return performance.now() - start;
  };

  for (const [i, v] of variants.entries()) {
    const pool = `pool-${i}`;
    await cluster.pool(ns, pool, { models: v.models, replicas: 1 });
    const warmWorker = cluster.worker(ns, pool, `w-${i}-warm`);
    await waitForWorkerReady(warmWorker, 600_000);
    let worker: Proc = warmWorker;
    const warm: number[] = [];
    for (let r = 0; r < REPEATS; r++) warm.push(await applyToReady(pool, v.model));
    const cold: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      // SIGTERM: the worker deletes its Lease on the way out, so the operator knows the pool is empty.
      await worker.kill("SIGTERM");
      cold.push(await applyToReady(pool, v.model, () => (worker = cluster.worker(ns, pool, `w-${i}-${r}`))));
    }
    await worker.kill("SIGTERM");
    figures.push({ figure: `${v.label}: apply → Ready, warm pool`, samples: warm, unit: "ms" });
    figures.push({ figure: `${v.label}: apply → Ready, cold start`, samples: cold, unit: "ms" });
    figures.push({
      figure: `${v.label}: cold / warm`,
      samples: cold.map((c) => c / median(warm)),
      unit: "×",
      digits: 1,
    });
  }
  watch.stop();
} finally {
  await cluster.stop();
}
printTable("Warm pool vs cold start", figures);
console.log(
  "Cold start = worker process start (Node, tsx, onnxruntime), model load, warm-up run, Lease\n" +
    "registration and the operator's binding, then the render itself; warm = binding and render only.",
);
