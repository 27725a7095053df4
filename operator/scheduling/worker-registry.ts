// Workers by namespace and id, from their heartbeat Leases. A Lease that stops being renewed
// produces no watch event, so a timer notices expiry and reports the worker as lost.
import type { V1Lease } from "@kubernetes/client-node";
import type { Informer } from "../../lib/kube/informer.ts";
import { isAlive, workerFromLease, type WorkerView } from "./worker-view.ts";

export type WorkerListener = (worker: WorkerView, alive: boolean) => void;

export class WorkerRegistry {
  private timer: NodeJS.Timeout | undefined;
  private readonly known = new Map<string, boolean>();
  private readonly listeners: WorkerListener[] = [];

  constructor(
    private readonly leases: Informer<V1Lease>,
    private readonly checkEveryMs = 500,
  ) {}

  /** Called when a worker appears, changes, dies or goes away. */
  onChange(listener: WorkerListener) {
    this.listeners.push(listener);
  }

  start() {
    this.timer = setInterval(() => this.checkExpiry(), this.checkEveryMs);
    this.timer.unref();
    this.leases.on("add", (l) => this.changed(l));
    this.leases.on("update", (l) => this.changed(l));
    this.leases.on("delete", (l) => {
      const w = workerFromLease(l);
      if (w) {
        this.known.delete(`${w.namespace}/${w.id}`);
        this.notify(w, false);
      }
    });
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }

  private notify(worker: WorkerView, alive: boolean) {
    for (const listener of this.listeners) listener(worker, alive);
  }

  private changed(lease: V1Lease) {
    const w = workerFromLease(lease);
    if (!w) return;
    const alive = isAlive(w);
    this.known.set(`${w.namespace}/${w.id}`, alive);
    this.notify(w, alive);
  }

  private checkExpiry() {
    const now = Date.now();
    for (const w of this.all()) {
      const key = `${w.namespace}/${w.id}`;
      const alive = isAlive(w, now);
      if (this.known.get(key) !== alive) {
        this.known.set(key, alive);
        this.notify(w, alive);
      }
    }
  }

  all(namespace?: string): WorkerView[] {
    return this.leases.list(namespace).flatMap((l) => workerFromLease(l) ?? []);
  }

  forPool(namespace: string, pool: string): WorkerView[] {
    return this.all(namespace).filter((w) => w.pool === pool);
  }

  get(namespace: string, id: string): WorkerView | undefined {
    return this.all(namespace).find((w) => w.id === id);
  }
}
