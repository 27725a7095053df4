// Memory that must not grow with time, in two long-running paths, each measured in-process:
//  1. The operator's controller runtime (the real Informer, Controller and WorkQueue) through
//     100,000 Artwork create/delete cycles. The events are synthetic: the informer's watch is fed
//     ADDED and DELETED events directly (its initial list comes from a loopback stub that answers an
//     empty list), because 100,000 real objects through an apiserver would take hours here and the
//     apiserver is not what is measured. The reconcile reads the cache, as the controllers do.
//  2. A worker's prompt path: the CLIP tokenizer of aria-painter over 10,000 distinct prompts (each
//     with made-up words, as users' prompts have; the text encoder run after it keeps nothing).
// RSS and V8 heap are read after a full GC at the start (after a warm-up) and at the end.
// Run: npx tsx bench/memory-growth.ts [--cycles 100000] [--prompts 10000]
import { createServer } from "node:http";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { Controller } from "../lib/kube/controller.ts";
import { Informer, type WatchLike } from "../lib/kube/informer.ts";
import { ClipTokenizer } from "../lib/tokenizer/clip-tokenizer.ts";
import { ensureBuiltinModel } from "../models/builtin.ts";
import { machineFacts, numberFlag, printTable, type Figure } from "./report.ts";

const CYCLES = numberFlag("cycles", 100_000);
const PROMPTS = numberFlag("prompts", 10_000);
const BATCH = 1_000;
/** The tokenizer's bound (lib/tokenizer/clip-tokenizer.ts BPE_CACHE_WORDS), written out so this runs on older code too. */
const BPE_CACHE_WORDS = 10_000;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Memory {
  rssMb: number;
  heapMb: number;
}
function memory(): Memory {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

/** A figure of this single run. */
function one(figure: string, value: number, unit: string, digits = 1): Figure {
  return { figure, samples: [value], unit, digits };
}

/** Entries of a private map, read for the report only (the same on the code before and after). */
function sizeOf(obj: object, field: string): number {
  const value = (obj as Record<string, unknown>)[field] as { size?: number } | undefined;
  return value?.size ?? NaN;
}

async function controllerRuntime(): Promise<Figure[]> {
  const server = createServer((_req, res) => {
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        kind: "ArtworkList",
        apiVersion: "aria.dev/v1alpha1",
        metadata: { resourceVersion: "1" },
        items: [],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "stub", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "stub" }],
    contexts: [{ name: "stub", cluster: "stub", user: "stub" }],
    currentContext: "stub",
  });
  let emit: ((type: string, obj: KubernetesObject) => void) | undefined;
  const watch: WatchLike = {
    watch: async (_path, _query, onEvent) => {
      emit = onEvent as typeof emit;
      return new AbortController();
    },
  };
  const logger = pino({ level: "silent" });
  const registry = new Registry();
  const informer = new Informer<KubernetesObject>({
    kc,
    path: "/apis/aria.dev/v1alpha1/namespaces/gallery/artworks",
    name: "artworks",
    logger,
    registry,
    watch,
  });
  let reconciles = 0;
  const controller = new Controller({
    name: "artwork",
    logger,
    registry,
    reconcile: async (key) => {
      informer.get(key.namespace, key.name);
      reconciles++;
    },
  });
  controller.watch(informer);
  await controller.start();
  while (!emit) await new Promise((resolve) => setTimeout(resolve, 1));

  let rv = 1;
  const artwork = (i: number): KubernetesObject =>
    ({
      apiVersion: "aria.dev/v1alpha1",
      kind: "Artwork",
      metadata: {
        name: `art-${i}`,
        namespace: "gallery",
        uid: `uid-${i}`,
        resourceVersion: String(++rv),
        labels: { "aria.dev/worker": "w1" },
      },
      spec: { prompt: `a red sunrise over the sea, number ${i}`, poolRef: { name: "studio" }, steps: 20 },
      status: { phase: "Succeeded", worker: "w1", attempt: 1, message: "kept candidate 1 of 4" },
    }) as KubernetesObject;
  const settle = async (target: number) => {
    const deadline = Date.now() + 60_000;
    while (reconciles < target) {
      if (Date.now() > deadline) throw new Error(`reconciles stalled at ${reconciles} of ${target}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  // Each Artwork is reconciled while it exists, then once more after it is deleted, as in the operator.
  const cycle = async (from: number, to: number) => {
    for (let i = from; i < to; i++) emit!("ADDED", artwork(i));
    await settle(reconciles + (to - from));
    for (let i = from; i < to; i++) emit!("DELETED", artwork(i));
    await settle(reconciles + (to - from));
  };
  // Warm-up, so the start reading already includes the code and the steady-state structures.
  await cycle(0, BATCH);
  const start = memory();
  const t0 = performance.now();
  for (let from = BATCH; from < CYCLES + BATCH; from += BATCH) await cycle(from, from + BATCH);
  const seconds = (performance.now() - t0) / 1000;
  const end = memory();
  const keys = sizeOf(controller, "counts");
  await controller.stop();
  await informer.stop();
  server.close();
  return [
    one(`create/delete cycles`, CYCLES, "", 0),
    one("cycles per second", CYCLES / seconds, "/s", 0),
    one("RSS at start", start.rssMb, "MiB"),
    one("RSS at end", end.rssMb, "MiB"),
    one("heap at start", start.heapMb, "MiB"),
    one("heap at end", end.heapMb, "MiB"),
    {
      ...one("heap growth per 1,000 cycles", ((end.heapMb - start.heapMb) * 1000) / CYCLES, "MiB", 3),
      target: { op: "≤", value: 0.01 },
    },
    { ...one("per-key entries kept by the controller", keys, "", 0), target: { op: "≤", value: 0 } },
  ];
}

async function promptPath(): Promise<Figure[]> {
  const tokenizer = await ClipTokenizer.fromDir(join(await ensureBuiltinModel("aria-painter"), "tokenizer"));
  // Made-up words, all distinct (a counter spelled in letters): distinct prompts share the common
  // words and differ in the invented ones, as users' names, places and styles do.
  let n = 0;
  const word = () =>
    `q${(n++ * 7_919)
      .toString(26)
      .split("")
      .map((d) => String.fromCharCode(97 + parseInt(d, 26)))
      .join("")}`;
  const prompt = () =>
    `a ${word()} painting of the ${word()} ${word()} at dusk, ${word()} light, by ${word()}`;
  for (let i = 0; i < 200; i++) tokenizer.encode(prompt());
  const start = memory();
  const t0 = performance.now();
  for (let i = 0; i < PROMPTS; i++) tokenizer.encode(prompt());
  const seconds = (performance.now() - t0) / 1000;
  const end = memory();
  return [
    one("distinct prompts", PROMPTS, "", 0),
    one("prompts per second", PROMPTS / seconds, "/s", 0),
    one("RSS at start", start.rssMb, "MiB"),
    one("RSS at end", end.rssMb, "MiB"),
    one("heap at start", start.heapMb, "MiB"),
    one("heap at end", end.heapMb, "MiB"),
    one("heap growth", end.heapMb - start.heapMb, "MiB"),
    {
      ...one("words kept in the BPE cache", sizeOf(tokenizer, "cache"), "", 0),
      target: { op: "≤", value: BPE_CACHE_WORDS },
    },
  ];
}

machineFacts({ GC: "full GC before each reading (--expose-gc set at run time)" });
printTable(
  `Controller runtime: ${CYCLES.toLocaleString("en")} Artwork create/delete cycles (synthetic watch events)`,
  await controllerRuntime(),
);
printTable(
  `Worker prompt path: ${PROMPTS.toLocaleString("en")} distinct prompts through the CLIP tokenizer`,
  await promptPath(),
);
