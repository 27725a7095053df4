// Small helpers to create Aria objects and wait for what a user would wait for.
import { CoreV1Api, Watch } from "@kubernetes/client-node";
import { ARTWORK, LEARNING_STATE, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork, ArtworkSpec } from "../../crds/artwork.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import type { ModelPool, ModelPoolSpec } from "../../crds/model-pool.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import { kubeConfig } from "./cluster.ts";

export function aria() {
  return new CustomObjectClient(kubeConfig());
}

export const BUILTIN_MODELS: ModelPoolSpec["models"] = [
  { name: "aria-painter", role: "generator", source: { builtin: "aria-painter" } },
  { name: "aria-clip", role: "clip", source: { builtin: "aria-clip" } },
  { name: "aria-aesthetic", role: "aesthetic", source: { builtin: "aria-aesthetic" } },
];

export async function createPool(namespace: string, name: string, spec: Partial<ModelPoolSpec> = {}) {
  return aria().create<ModelPool>(MODEL_POOL, namespace, {
    apiVersion: "aria.dev/v1alpha1",
    kind: "ModelPool",
    metadata: { name },
    spec: { models: BUILTIN_MODELS, replicas: 2, ...spec },
  });
}

/** An empty LearningState `name`, which pools name in learningStateRef (default: the pool's name). */
export async function createLearningState(namespace: string, name: string) {
  return aria().create<LearningState>(LEARNING_STATE, namespace, {
    apiVersion: "aria.dev/v1alpha1",
    kind: "LearningState",
    metadata: { name },
    spec: {},
  });
}

/** A tiny, fast render: 64×64, few steps, one candidate. */
export const QUICK: Partial<ArtworkSpec> = {
  width: 64,
  height: 64,
  steps: 2,
  variations: 1,
  guidanceScale: 1,
};

export async function createArtwork(
  namespace: string,
  name: string,
  spec: Partial<ArtworkSpec> & { poolRef: { name: string } },
) {
  return aria().create<Artwork>(ARTWORK, namespace, {
    apiVersion: "aria.dev/v1alpha1",
    kind: "Artwork",
    metadata: { name },
    spec: { prompt: "a red fox in a green forest", ...spec },
  });
}

export async function getArtwork(namespace: string, name: string) {
  return aria().get<Artwork>(ARTWORK, namespace, name);
}

/** Waits until the Artwork is gone from the API server (its finalizer released). */
export async function waitForGone(namespace: string, name: string, timeoutMs = 30_000) {
  await eventually(
    () =>
      getArtwork(namespace, name).then(
        () => false,
        () => true,
      ),
    (gone) => gone,
    timeoutMs,
  );
}

export async function deleteArtwork(namespace: string, name: string) {
  const { group, version, plural } = ARTWORK;
  await aria().api.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
}

/** Polls until `predicate` holds, returning the last value; fails with the last value after the timeout. */
export async function eventually<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!predicate(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 3000)}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await read();
  }
  return last;
}

export async function listArtworks(namespace: string) {
  const { group, version, plural } = ARTWORK;
  const list = (await aria().api.listNamespacedCustomObject({ group, version, plural, namespace })) as {
    items: Artwork[];
  };
  return list.items;
}

export function isReady(art: Artwork) {
  return art.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The Ready condition's reason, the one kstatus tools and `kubectl get` show. */
export function readyReason(art: Artwork) {
  return art.status?.conditions?.find((c) => c.type === "Ready")?.reason;
}

export interface ArtworkEvent {
  artwork: string;
  type: string;
  reason: string;
  message: string;
  /** Who recorded it: `aria-operator` or `aria-worker/<id>`. */
  component: string;
}

/** The Events about Artworks in the namespace, as `kubectl events --for artwork/NAME` lists them. */
export async function artworkEvents(namespace: string): Promise<ArtworkEvent[]> {
  const list = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedEvent({ namespace, fieldSelector: "involvedObject.kind=Artwork" });
  return list.items.map((e) => ({
    artwork: e.involvedObject.name ?? "",
    type: e.type ?? "",
    reason: e.reason ?? "",
    message: e.message ?? "",
    component: e.reportingComponent || e.source?.component || "",
  }));
}

/**
 * Per Artwork, the workers that started a render of it (a `Generating` Event each) and that finished
 * one (`Succeeded`), from the Events the workers record. Waits until every named Artwork has its
 * `Succeeded` Event, since Events are written after the status that made it Ready.
 */
export async function rendersByArtwork(namespace: string, names: readonly string[], timeoutMs = 30_000) {
  const renders = (events: ArtworkEvent[]) => {
    const byName = new Map(names.map((n) => [n, { started: [] as string[], succeeded: [] as string[] }]));
    for (const e of events) {
      const r = byName.get(e.artwork);
      const worker = e.component.startsWith("aria-worker/") ? e.component.slice("aria-worker/".length) : "";
      if (!r || !worker) continue;
      if (e.reason === "Generating") r.started.push(worker);
      if (e.reason === "Succeeded") r.succeeded.push(worker);
    }
    return byName;
  };
  return renders(
    await eventually(
      () => artworkEvents(namespace),
      (events) => [...renders(events).values()].every((r) => r.succeeded.length > 0),
      timeoutMs,
      250,
    ),
  );
}

/**
 * Every version of one Artwork from now on, as `kubectl get artwork NAME -w` shows them, so a test
 * can assert on a state that lasts only until the next write. Resolves once the watch has begun.
 */
export async function watchArtwork(namespace: string, name: string) {
  const versions: Artwork[] = [];
  const { group, version, plural } = ARTWORK;
  const controller = await new Watch(kubeConfig()).watch(
    `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
    { fieldSelector: `metadata.name=${name}` },
    (_type, obj) => versions.push(obj as Artwork),
    () => undefined,
  );
  await eventually(
    async () => versions.length,
    (n) => n > 0,
    10_000,
    20,
  );
  return { versions, stop: () => controller.abort() };
}
