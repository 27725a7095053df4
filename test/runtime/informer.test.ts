// The informer against a real apiserver: sync, events, and recovery from broken, expired and silent
// watches. ConfigMaps are the test objects (no controller-manager runs to interfere with them).
import { CoreV1Api, Watch, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Informer, type WatchLike } from "../../lib/kube/informer.ts";
import { createNamespace, kubeConfig } from "../support/cluster.ts";

const logger = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let kc: KubeConfig;
let core: CoreV1Api;
let ns: string;
const informers: Informer<V1ConfigMap>[] = [];

beforeAll(async () => {
  kc = kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
});

beforeEach(async () => {
  ns = await createNamespace("informer");
});

afterEach(async () => {
  await Promise.all(informers.splice(0).map((informer) => informer.stop()));
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

const createCm = (name: string, app: string, value = "1") =>
  core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name, labels: { app } }, data: { value } },
  });
const updateCm = (name: string, value: string) =>
  core.patchNamespacedConfigMap({
    name,
    namespace: ns,
    body: [{ op: "replace", path: "/data/value", value }],
  });
const deleteCm = (name: string) => core.deleteNamespacedConfigMap({ name, namespace: ns });

/** Records every event as "verb name[=value]" so tests can assert what a controller would see. */
function record(informer: Informer<V1ConfigMap>) {
  const events: string[] = [];
  informer.on("add", (cm) => events.push(`add ${cm.metadata?.name}=${cm.data?.value}`));
  informer.on("update", (cm) => events.push(`update ${cm.metadata?.name}=${cm.data?.value}`));
  informer.on("delete", (cm) => events.push(`delete ${cm.metadata?.name}`));
  return events;
}

/** A real Watch whose connections the test can break, hold back, or silence (events dropped). */
class ControlledWatch implements WatchLike {
  private readonly real: Watch;
  connections: Array<{ abort: AbortController; done: (err: unknown) => void; silenced: boolean }> = [];
  gate: Promise<void> | undefined;
  /** Connections opened while this is set start silenced. */
  silenceNew = false;

  constructor(kc: KubeConfig) {
    this.real = new Watch(kc);
  }

  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    await this.gate;
    const connection = { abort: new AbortController(), done, silenced: this.silenceNew };
    connection.abort = await this.real.watch(
      path,
      query,
      (phase, obj, raw) => {
        if (!connection.silenced) callback(phase, obj, raw);
      },
      done,
    );
    this.connections.push(connection);
    return connection.abort;
  }

  latest() {
    const connection = this.connections.at(-1);
    if (!connection) throw new Error("no watch connection yet");
    return connection;
  }
}

function newInformer(app: string, options: { watch?: WatchLike; watchdogMs?: number; resyncMs?: number }) {
  const registry = new Registry();
  const informer = new Informer<V1ConfigMap>({
    kc,
    path: `/api/v1/namespaces/${ns}/configmaps`,
    labelSelector: `app=${app}`,
    name: `configmaps-${app}`,
    logger,
    registry,
    backoffMs: { initialMs: 50, maxMs: 500 },
    ...options,
  });
  informers.push(informer);
  return { informer, registry };
}

async function restarts(registry: Registry, reason: string) {
  const metric = await registry.getSingleMetric("aria_informer_watch_restarts_total")?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe("Informer", () => {
  it("syncs existing objects, then emits adds, updates and deletes", async () => {
    await createCm("first", "sync");
    await createCm("ignored", "other");
    const { informer } = newInformer("sync", {});
    const events = record(informer);
    expect(informer.hasSynced()).toBe(false);
    await informer.start();
    expect(informer.hasSynced()).toBe(true);
    expect(events).toEqual(["add first=1"]);
    expect(informer.get(ns, "first")?.kind).toBe("ConfigMap");
    expect(informer.list(ns).map((cm) => cm.metadata?.name)).toEqual(["first"]);

    await createCm("second", "sync");
    await updateCm("first", "2");
    await deleteCm("second");
    await until(() => events.length === 4);
    expect(events).toEqual(["add first=1", "add second=1", "update first=2", "delete second"]);
    expect(informer.get(ns, "first")?.data?.value).toBe("2");
    expect(informer.get(ns, "second")).toBeUndefined();
  });

  it("replays the cache to an add handler that joins after sync, as a shared informer must", async () => {
    await createCm("early", "shared");
    const { informer } = newInformer("shared", {});
    await informer.start();
    const late: string[] = [];
    informer.on("add", (cm) => late.push(`add ${cm.metadata?.name}`));
    expect(late).toEqual(["add early"]);
    await createCm("later", "shared");
    await until(() => late.length === 2);
    expect(late).toEqual(["add early", "add later"]);
  });

  it("resumes after its connection is destroyed and replays what happened while it was down", async () => {
    await createCm("kept", "broken");
    await createCm("doomed", "broken");
    const watch = new ControlledWatch(kc);
    const { informer, registry } = newInformer("broken", { watch });
    const events = record(informer);
    await informer.start();
    await until(() => watch.connections.length === 1);

    let reopen!: () => void;
    watch.gate = new Promise((resolve) => (reopen = resolve));
    watch.latest().abort.abort();
    await deleteCm("doomed");
    await updateCm("kept", "2");
    await createCm("born", "broken");
    await sleep(300);
    expect(events.sort()).toEqual(["add doomed=1", "add kept=1"]);

    reopen();
    await until(() => events.length === 5);
    // Replayed from the last resourceVersion, in the order the changes happened.
    expect(events.slice(2)).toEqual(["delete doomed", "update kept=2", "add born=1"]);
    expect(await restarts(registry, "error")).toBeGreaterThanOrEqual(1);
    expect(
      informer
        .list(ns)
        .map((cm) => cm.metadata?.name)
        .sort(),
    ).toEqual(["born", "kept"]);
  });

  it("relists after 410 Gone and emits a delete for an object removed during the gap", async () => {
    await createCm("kept", "gone");
    await createCm("doomed", "gone");
    const watch = new ControlledWatch(kc);
    const { informer, registry } = newInformer("gone", { watch });
    const events = record(informer);
    await informer.start();
    await until(() => watch.connections.length === 1);

    // The connection loses these changes (as one to a restarting apiserver would), then the watch
    // ends with 410: only the relist can reveal them.
    watch.latest().silenced = true;
    await deleteCm("doomed");
    await updateCm("kept", "2");
    await sleep(300);
    expect(events).toHaveLength(2);
    expect(informer.get(ns, "doomed")).toBeDefined();
    watch.latest().done(Object.assign(new Error("Gone"), { statusCode: 410 }));

    await until(() => events.length === 4);
    expect(events.slice(2)).toEqual(["delete doomed", "update kept=2"]);
    expect(await restarts(registry, "gone")).toBe(1);
    expect(informer.get(ns, "doomed")).toBeUndefined();
    // The relist emits before the new watch connects; wait for it rather than race it.
    await until(() => watch.connections.length === 2);

    await createCm("after", "gone");
    await until(() => events.includes("add after=1"));
  });

  it("restarts a watch that went silent once watchdogMs passes, and catches up", async () => {
    await createCm("kept", "stalled");
    const watch = new ControlledWatch(kc);
    // The first connection swallows every event: open, healthy-looking, and dead.
    watch.silenceNew = true;
    const { informer, registry } = newInformer("stalled", { watch, watchdogMs: 1000 });
    const events = record(informer);
    await informer.start();
    await until(() => watch.connections.length === 1);
    watch.silenceNew = false;

    await createCm("missed", "stalled");
    await sleep(300);
    expect(events).toEqual(["add kept=1"]);
    await until(() => events.includes("add missed=1"), 5000);
    expect(await restarts(registry, "watchdog")).toBeGreaterThanOrEqual(1);
  });

  it("re-emits updates for cached objects every resync period", async () => {
    await createCm("steady", "resync");
    const { informer } = newInformer("resync", { resyncMs: 200 });
    const events = record(informer);
    await informer.start();
    await sleep(700);
    const resyncs = events.filter((e) => e === "update steady=1").length;
    expect(resyncs).toBeGreaterThanOrEqual(2);
    expect(resyncs).toBeLessThanOrEqual(4);
  });
});
