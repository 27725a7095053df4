// A cache plus event source for one resource path, built on client-node's Watch rather than its
// ListWatch. ListWatch (1.4) cannot be made robust from outside: it never asks for bookmarks (so a
// watchdog cannot tell a quiet watch from a dead one), it stops for good after a list or watch error,
// it can start a watch after stop() when stop lands during a list, and its request is private, so
// nothing can abort a stalled connection. This loop owns all of that: list → watch from the list's
// resourceVersion → on close resume from the last seen version, on 410 relist and diff the cache
// (emitting deletes for objects that vanished meanwhile), on error back off exponentially.
import { Watch, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { apiGet } from "./api-get.ts";
import { backoffDelay, type Backoff } from "./backoff.ts";
import { isGone } from "./kube-errors.ts";
import type { Logger } from "../observability/logger.ts";
import { informerMetrics } from "./runtime-metrics.ts";
import { Sleeper } from "./sleeper.ts";

/** The part of client-node's Watch the informer uses; tests wrap it to break or stall a watch. */
export type WatchLike = Pick<Watch, "watch">;

export interface InformerOptions {
  kc: KubeConfig;
  /** Collection path, e.g. "/apis/aria.dev/v1alpha1/artworks" or "/api/v1/namespaces/ns/configmaps". */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  name: string;
  logger: Logger;
  /** No event or bookmark for this long → the watch is presumed dead and restarted (default 5 min). */
  watchdogMs?: number;
  /** Re-emit "update" for every cached object this often; 0 or absent disables it. */
  resyncMs?: number;
  /** First and longest wait between failed attempts (default 500 ms → 30 s). */
  backoffMs?: Backoff;
  /** Where the watch-restart counter goes: the registry the process serves. */
  registry: Registry;
  watch?: WatchLike;
}

export type RestartReason = "closed" | "gone" | "watchdog" | "error" | "list_error" | "relist";

type Handlers<T> = {
  add: Array<(obj: T) => void>;
  update: Array<(obj: T, old: T) => void>;
  delete: Array<(obj: T) => void>;
};

interface KubernetesList<T> {
  kind?: string;
  apiVersion?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

export class Informer<T extends KubernetesObject> {
  readonly name: string;
  private readonly options: InformerOptions;
  private readonly log: Logger;
  private readonly watcher: WatchLike;
  private readonly watchdogMs: number;
  private readonly backoff: Backoff;
  private readonly restarts: ReturnType<typeof informerMetrics>["restarts"];
  private readonly handlers: Handlers<T> = { add: [], update: [], delete: [] };
  private cache = new Map<string, Map<string, T>>();
  private resourceVersion = "";
  private synced = false;
  private stopped = true;
  private started: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private abortWatch: (() => void) | undefined;
  private readonly sleeper = new Sleeper();
  private listAbort: AbortController | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private relistRequested = false;

  constructor(options: InformerOptions) {
    this.options = options;
    this.name = options.name;
    this.log = options.logger.child({ informer: options.name });
    this.watcher = options.watch ?? new Watch(options.kc);
    this.watchdogMs = options.watchdogMs ?? 5 * 60_000;
    this.backoff = options.backoffMs ?? { initialMs: 500, maxMs: 30_000 };
    this.restarts = informerMetrics(options.registry).restarts;
  }

  on(event: "add" | "delete", handler: (obj: T) => void): void;
  on(event: "update", handler: (obj: T, old: T) => void): void;
  on(event: keyof Handlers<T>, handler: (obj: T, old: T) => void): void {
    (this.handlers[event] as Array<(obj: T, old: T) => void>).push(handler);
    // Like client-go's AddEventHandler: a handler joining a shared, synced informer still hears
    // about every object it missed.
    if (event === "add" && this.synced) {
      for (const obj of this.list()) handler(obj, obj);
    }
  }

  off(event: keyof Handlers<T>, handler: (obj: T, old: T) => void): void {
    const list: Array<unknown> = this.handlers[event];
    const at = list.indexOf(handler);
    if (at >= 0) list.splice(at, 1);
  }

  /** Starts listing and watching; resolves once the initial list is in the cache. Idempotent. */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.stopped = false;
    this.started = new Promise<void>((resolve) => {
      this.loopDone = this.loop(resolve);
    });
    if (this.options.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.options.resyncMs);
    }
    return this.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.abortWatch?.();
    this.listAbort?.abort();
    this.sleeper.wake();
    await this.loopDone;
    this.started = undefined;
  }

  /**
   * Relists now and watches on from there, without waiting out a backoff: for when the API server
   * was unreachable, so neither a watch that hung through the outage nor a retry sleeping after it
   * leaves the cache behind. Deletes missed meanwhile come out of the relist's diff.
   */
  relistNow(): void {
    if (this.stopped) return;
    this.relistRequested = true;
    this.abortWatch?.();
    this.listAbort?.abort();
    this.sleeper.wake();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(namespace)?.get(name);
  }

  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.cache.get(namespace)?.values() ?? [])];
    return [...this.cache.values()].flatMap((objects) => [...objects.values()]);
  }

  private async loop(onSynced: () => void) {
    let failures = 0;
    // A restarted informer keeps its cache and resumes from its resourceVersion.
    if (this.synced) onSynced();
    while (!this.stopped) {
      if (this.relistRequested) {
        this.relistRequested = false;
        this.resourceVersion = "";
        failures = 0;
        this.count("relist");
        this.log.info("relisting after the API server came back");
      }
      if (!this.resourceVersion) {
        try {
          await this.relist();
          failures = 0;
          if (!this.synced) {
            this.synced = true;
            this.log.info({ objects: this.list().length }, "informer synced");
            onSynced();
          }
        } catch (err) {
          if (this.stopped) break;
          if (this.relistRequested) continue;
          this.count("list_error");
          const delay = this.delay(failures++);
          this.log.warn({ err, delayMs: delay }, "list failed; retrying after backoff");
          await this.sleeper.sleep(delay);
          continue;
        }
      }
      if (this.stopped) break;
      const { reason, error, sawEvents } = await this.watchOnce();
      if (this.stopped) break;
      if (this.relistRequested) continue;
      if (sawEvents) failures = 0;
      this.count(reason);
      if (reason === "gone") {
        this.resourceVersion = "";
        this.log.info("watch expired (410 Gone); cache will be relisted");
      } else if (reason === "error") {
        const delay = this.delay(failures++);
        this.log.warn({ err: error, delayMs: delay }, "watch failed; restarting after backoff");
        await this.sleeper.sleep(delay);
      } else if (reason === "watchdog") {
        this.log.warn({ watchdogMs: this.watchdogMs }, "watch went silent; restarted");
      } else if (!sawEvents) {
        // A server that closes watches at once (overload, proxy timeouts) must not be hammered.
        const delay = this.delay(failures++);
        this.log.info({ delayMs: delay }, "watch closed without events; resuming after backoff");
        await this.sleeper.sleep(delay);
      } else {
        this.log.debug({ resourceVersion: this.resourceVersion }, "watch closed by server; resumed");
      }
    }
    if (!this.synced) onSynced();
  }

  /** One watch connection, resolved with why it ended. */
  private watchOnce(): Promise<{ reason: RestartReason; error?: unknown; sawEvents: boolean }> {
    return new Promise((resolve) => {
      let finished = false;
      let sawEvents = false;
      let controller: AbortController | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (reason: RestartReason, error?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        this.abortWatch = undefined;
        controller?.abort();
        resolve({ reason, error, sawEvents });
      };
      const armWatchdog = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => finish("watchdog"), this.watchdogMs);
      };
      this.abortWatch = () => finish("closed");
      armWatchdog();

      const query: Record<string, string | number | boolean | undefined> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        // Like client-go, let the server end the watch after 5–10 min so connections are recycled.
        timeoutSeconds: Math.floor(300 * (1 + Math.random())),
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      };
      const onEvent = (type: string, obj: T) => {
        if (finished) return;
        armWatchdog();
        sawEvents = true;
        if (type === "ERROR") {
          const status = obj as unknown as { code?: number };
          return finish(isGone(status) ? "gone" : "error", status);
        }
        if (type === "ADDED" || type === "MODIFIED") this.upsert(obj);
        else if (type === "DELETED") this.remove(obj);
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
      };
      const onDone = (err: unknown) => {
        if (!err) return finish("closed");
        finish(isGone(err) ? "gone" : "error", err);
      };
      this.watcher.watch(this.options.path, query, onEvent, onDone).then(
        (c) => {
          controller = c;
          if (finished) c.abort();
        },
        (err: unknown) => finish("error", err),
      );
    });
  }

  /** Lists everything, replaces the cache and emits the difference against what was cached. */
  private async relist() {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const query = new URLSearchParams({ limit: "500" });
      if (this.options.labelSelector) query.set("labelSelector", this.options.labelSelector);
      if (this.options.fieldSelector) query.set("fieldSelector", this.options.fieldSelector);
      if (continueToken) query.set("continue", continueToken);
      this.listAbort = new AbortController();
      const page = JSON.parse(
        await apiGet(this.options.kc, `${this.options.path}?${query}`, { signal: this.listAbort.signal }),
      ) as KubernetesList<T>;
      // List items omit kind/apiVersion; restore them so cached objects look like watched ones.
      const kind = page.kind?.replace(/List$/, "");
      for (const item of page.items ?? []) {
        items.push({ apiVersion: page.apiVersion, kind, ...item });
      }
      resourceVersion = page.metadata?.resourceVersion ?? "";
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);

    const previous = this.cache;
    this.cache = new Map();
    for (const obj of items) this.store(obj);
    for (const [namespace, objects] of previous) {
      for (const [name, old] of objects) {
        if (!this.get(namespace, name)) this.emit("delete", old);
      }
    }
    for (const obj of items) {
      const old = previous.get(obj.metadata?.namespace ?? "")?.get(obj.metadata?.name ?? "");
      if (!old) this.emit("add", obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit("update", obj, old);
    }
    this.resourceVersion = resourceVersion;
  }

  private upsert(obj: T) {
    const old = this.get(obj.metadata?.namespace ?? "", obj.metadata?.name ?? "");
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.store(obj);
    if (old) this.emit("update", obj, old);
    else this.emit("add", obj);
  }

  private remove(obj: T) {
    const namespace = obj.metadata?.namespace ?? "";
    const objects = this.cache.get(namespace);
    const old = objects?.get(obj.metadata?.name ?? "");
    if (!objects || !old) return;
    objects.delete(obj.metadata?.name ?? "");
    if (objects.size === 0) this.cache.delete(namespace);
    this.emit("delete", obj);
  }

  private store(obj: T) {
    const namespace = obj.metadata?.namespace ?? "";
    let objects = this.cache.get(namespace);
    if (!objects) this.cache.set(namespace, (objects = new Map()));
    objects.set(obj.metadata?.name ?? "", obj);
  }

  private resync() {
    for (const obj of this.list()) this.emit("update", obj, obj);
  }

  private emit(event: keyof Handlers<T>, obj: T, old?: T) {
    for (const handler of this.handlers[event]) {
      try {
        (handler as (obj: T, old: T) => void)(obj, old ?? obj);
      } catch (err) {
        // One faulty handler must not stop the cache from following the server.
        this.log.error({ err, event }, "event handler threw");
      }
    }
  }

  private count(reason: RestartReason) {
    this.restarts.inc({ informer: this.name, reason });
  }

  private delay(failures: number) {
    return backoffDelay(failures, this.backoff);
  }
}
