// Small helpers to create Aria objects and wait for what a user would wait for.
import { ARTWORK, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork, ArtworkSpec } from "../../crds/artwork.ts";
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
