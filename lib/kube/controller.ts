// Ties informers to a work queue and a level-triggered reconcile function, with controller-runtime's
// result semantics: an error requeues with per-key exponential backoff, requeueAfterMs schedules a
// later look, success resets the key's backoff.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import type { Informer } from "./informer.ts";
import type { Logger } from "../observability/logger.ts";
import { isConflict } from "./kube-errors.ts";
import { controllerMetrics } from "./runtime-metrics.ts";
import { keyFromString, keyOf, keyToString, type ObjectKey } from "./object-key.ts";
import type { UpdateFilter } from "./update-filter.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ReconcileResult {
  /** Look again after this long even if nothing changes (e.g. to time out a stuck artwork). */
  requeueAfterMs?: number;
}

export type Reconcile = (key: ObjectKey) => Promise<ReconcileResult | void>;

/** A controller's logic: its reconcile, and what it watches (controller-runtime's SetupWithManager). */
export interface Reconciler {
  reconcile: Reconcile;
  setup(controller: Controller): void;
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  /** Reconciles that may run at once; one key never runs twice concurrently. Default 1. */
  concurrency?: number;
  logger: Logger;
  registry: Registry;
  /** Log field naming the reconciled object, e.g. "artwork" → { artwork: "ns/name" }. Default: name. */
  kind?: string;
  /** Backoff for failed keys (default 5 ms doubling to 1000 s, as client-go). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

type MapFn<O> = (obj: O) => ObjectKey | ObjectKey[] | undefined;

/** What the controller needs of a watched informer (tests pass a stand-in). */
export type WatchSource<O extends KubernetesObject> = Pick<Informer<O>, "on" | "off" | "start" | "get">;

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly logField: string;
  private readonly metrics: ReturnType<typeof controllerMetrics>;
  private readonly sources: Array<{ start: () => Promise<void>; detach: () => void }> = [];
  /** Reconciles per key, kept only while the key's object exists (see process). */
  private readonly counts = new Map<string, number>();
  /** The informer of the reconciled kind itself (the first watch without mapFn). */
  private primary: WatchSource<KubernetesObject> | undefined;
  private running: Promise<void> | undefined;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.name = options.name;
    this.logField = (options.kind ?? options.name).toLowerCase();
    this.log = options.logger.child({ controller: options.name });
    this.metrics = controllerMetrics(options.registry);
    this.queue = new WorkQueue({
      name: options.name,
      registry: options.registry,
      baseDelayMs: options.baseDelayMs,
      maxDelayMs: options.maxDelayMs,
    });
  }

  /**
   * Enqueues keys for every add, update and delete the informer sees. Without mapFn the event's own
   * object is the key; with it, related objects (owned Deployments, bound workers) map to the keys
   * of the reconciled kind.
   */
  watch<O extends KubernetesObject>(
    informer: WatchSource<O>,
    mapFn?: MapFn<O>,
    updateFilter?: UpdateFilter<O>,
  ): void {
    const handler = (obj: O) => {
      const mapped = mapFn ? mapFn(obj) : keyOf(obj);
      if (!mapped) return;
      for (const key of Array.isArray(mapped) ? mapped : [mapped]) this.enqueue(key);
    };
    // Resyncs (the same object as old and new) always pass: they are the periodic second look.
    const onUpdate = (obj: O, old: O) => {
      if (!updateFilter || obj === old || updateFilter(obj, old)) handler(obj);
    };
    informer.on("add", handler);
    informer.on("update", onUpdate);
    informer.on("delete", handler);
    const detach = () => {
      informer.off("add", handler);
      informer.off("update", onUpdate);
      informer.off("delete", handler);
    };
    this.sources.push({ start: () => informer.start(), detach });
    if (!mapFn) this.primary ??= informer as unknown as WatchSource<KubernetesObject>;
  }

  enqueue(key: ObjectKey): void {
    this.queue.add(keyToString(key));
  }

  /**
   * Starts the watched informers (idempotent, so informers may be shared), waits for their caches to
   * sync so the first reconciles read a complete cache, then starts the workers.
   */
  async start(): Promise<void> {
    if (this.running) return;
    await Promise.all(this.sources.map(({ start }) => start()));
    const concurrency = this.options.concurrency ?? 1;
    this.running = this.queue.run((key) => this.process(key), concurrency);
    this.log.info({ concurrency }, "controller started");
  }

  /** Stops taking events and waits for in-flight reconciles; informers are left to their owner. */
  async stop(): Promise<void> {
    for (const { detach } of this.sources) detach();
    this.queue.shutDown();
    await this.running;
    this.log.info("controller stopped");
  }

  /** How many times key has been reconciled, for tests and benchmarks that bound reconcile churn. */
  reconcileCount(key: ObjectKey): number {
    return this.counts.get(keyToString(key)) ?? 0;
  }

  /** Keys the controller holds per-key state for; bounded by the objects that exist. */
  get trackedKeys(): number {
    return this.counts.size;
  }

  private async process(key: string) {
    const labels = { controller: this.name };
    const fields = { [this.logField]: key };
    const started = performance.now();
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.metrics.activeWorkers.inc(labels);
    try {
      const result = await this.options.reconcile(keyFromString(key));
      if (result?.requeueAfterMs && result.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ ...labels, result: "requeue_after" });
      } else {
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: "success" });
      }
      this.log.debug({ ...fields, durationMs: Math.round(performance.now() - started) }, "reconciled");
    } catch (err) {
      this.metrics.reconcileTotal.inc({ ...labels, result: "error" });
      this.metrics.reconcileErrors.inc(labels);
      const delayMs = this.queue.nextBackoffMs(key);
      this.queue.addRateLimited(key);
      // A conflict only means the cache was behind a concurrent write: routine, retried shortly.
      if (isConflict(err)) this.log.debug({ ...fields, delayMs }, "reconcile hit a write conflict; requeued");
      else this.log.error({ ...fields, err, delayMs }, "reconcile failed; requeued with backoff");
    } finally {
      this.metrics.activeWorkers.dec(labels);
      this.metrics.reconcileTime.observe(labels, (performance.now() - started) / 1000);
      // A deleted object's key never comes back with the same meaning: keeping its count would
      // grow the map by every object ever reconciled. Its backoff is left to forget(), so a key
      // still failing keeps backing off.
      const { namespace, name } = keyFromString(key);
      if (this.primary && !this.primary.get(namespace, name)) this.counts.delete(key);
    }
  }
}
