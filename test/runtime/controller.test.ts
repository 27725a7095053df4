// A controller fed by a real informer: events become keys, related objects map to their owner's key,
// reconcile reads the synced cache, and a burst of changes stays a bounded number of reconciles.
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Controller } from "../../lib/kube/controller.ts";
import type { ObjectKey } from "../../lib/kube/object-key.ts";
import { Informer } from "../../lib/kube/informer.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";

const logger = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let kc: KubeConfig;
let core: CoreV1Api;
let ns: string;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  ns = await createNamespace("controller");
});

afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("Controller with an informer", () => {
  it("maps related objects to their owner's key and reconciles against the synced cache", async () => {
    const registry = new Registry();
    const informer = new Informer<V1ConfigMap>({
      kc,
      path: `/api/v1/namespaces/${ns}/configmaps`,
      labelSelector: "owner",
      name: "configmaps",
      logger,
      registry,
    });
    const seen = new Map<string, number>();
    const controller = new Controller({
      name: "gallery",
      registry,
      logger,
      concurrency: 2,
      // Counts the pieces an owner has, as the cache shows them when reconcile runs.
      reconcile: async (key: ObjectKey) => {
        const pieces = informer.list(key.namespace).filter((cm) => cm.metadata?.labels?.owner === key.name);
        // A reconcile takes a while (API writes), so events arriving meanwhile pile up on one key.
        await sleep(50);
        seen.set(key.name, pieces.length);
      },
    });
    controller.watch(informer, (cm) => {
      const owner = cm.metadata?.labels?.owner;
      return owner ? { namespace: cm.metadata?.namespace ?? "", name: owner } : undefined;
    });
    cleanup.push(
      () => informer.stop(),
      () => controller.stop(),
    );

    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: "pre-existing", labels: { owner: "monet" } } },
    });
    await controller.start();
    expect(informer.hasSynced()).toBe(true);
    await until(() => seen.get("monet") === 1);

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        core.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name: `piece-${i}`, labels: { owner: "turner" } } },
        }),
      ),
    );
    await until(() => seen.get("turner") === 20);
    await sleep(200);
    // Twenty events for one owner coalesce: far fewer reconciles than events.
    expect(controller.reconcileCount({ namespace: ns, name: "turner" })).toBeLessThan(10);
    expect(controller.reconcileCount({ namespace: ns, name: "monet" })).toBe(1);

    await core.deleteNamespacedConfigMap({ name: "pre-existing", namespace: ns });
    await until(() => seen.get("monet") === 0);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(
      /controller_runtime_reconcile_total\{controller="gallery",result="success"\} \d+/,
    );
    expect(metrics).toMatch(/workqueue_adds_total\{name="gallery"\} \d+/);
  });
});
