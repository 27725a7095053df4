// Workers by namespace and id, from their heartbeat Leases. Liveness is judged by when this process
// saw each Lease change (see lib/kube/lease-observation.ts), never by the worker's renewTime against
// our clock. A Lease that stops being renewed produces no watch event, so a timer notices expiry and
// reports the worker as lost. Nor is a worker judged by renewals this process could not have seen:
// it is lost only once this process has reached the API server after the worker's lease ran out,
// and after an outage every worker gets a full lease from the moment the API server is back.
import type { V1Lease } from "@kubernetes/client-node";
import type { Informer } from "../../lib/kube/informer.ts";
import { observeLease, type LeaseObservation } from "../../lib/kube/lease-observation.ts";
import { isAlive, workerFromLease, type WorkerView } from "./worker-view.ts";

export type WorkerListener = (worker: WorkerView, alive: boolean) => void;

/** What the registry needs of the Lease informer. */
export type LeaseSource = Pick<Informer<V1Lease>, "on" | "list">;

export class WorkerRegistry {
  private timer: NodeJS.Timeout | undefined;
  private readonly known = new Map<string, boolean>();
  /** Per Lease (namespace/name): its last record and the local time it was first seen. */
  private readonly observations = new Map<string, LeaseObservation>();
  private readonly listeners: WorkerListener[] = [];

  constructor(
    private readonly leases: LeaseSource,
    private readonly checkEveryMs = 500,
    private readonly clock: () => number = () => Date.now(),
    /** Local time this process last reached the API server (ApiReachability); by default, always. */
    private readonly lastContact: () => number = () => Infinity,
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
      const key = leaseKey(l);
      const observation = this.observations.get(key);
      this.observations.delete(key);
      const w = workerFromLease(l, observation ?? observeLease(undefined, l, this.clock()));
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
    const now = this.clock();
    const w = this.view(lease, now);
    if (!w) return;
    const alive = isAlive(w, now);
    this.known.set(`${w.namespace}/${w.id}`, alive);
    this.notify(w, alive);
  }

  /** Reports workers whose Lease has not changed for a lease duration; also run by start()'s timer. */
  checkExpiry() {
    const now = this.clock();
    for (const w of this.all()) {
      const key = `${w.namespace}/${w.id}`;
      const alive = isAlive(w, now);
      if (this.known.get(key) !== alive) {
        this.known.set(key, alive);
        this.notify(w, alive);
      }
    }
  }

  /** The API server is back after an outage: every Lease counts as observed now. */
  restartObservations() {
    this.observations.clear();
  }

  /** Records the Lease's current renewal (restarting its clock when it changed) and reads the worker. */
  private view(lease: V1Lease, now: number): WorkerView | undefined {
    const key = leaseKey(lease);
    const observation = observeLease(this.observations.get(key), lease, now);
    this.observations.set(key, observation);
    const w = workerFromLease(lease, observation);
    // Not in touch with the API server since the lease ran out: the renewal may well exist unseen.
    if (w && this.lastContact() < w.expiresAt) w.expiresAt = Math.max(w.expiresAt, now + this.checkEveryMs);
    return w;
  }

  all(namespace?: string): WorkerView[] {
    const now = this.clock();
    return this.leases.list(namespace).flatMap((l) => this.view(l, now) ?? []);
  }

  forPool(namespace: string, pool: string): WorkerView[] {
    return this.all(namespace).filter((w) => w.pool === pool);
  }

  get(namespace: string, id: string): WorkerView | undefined {
    return this.all(namespace).find((w) => w.id === id);
  }
}

function leaseKey(lease: V1Lease) {
  return `${lease.metadata?.namespace ?? ""}/${lease.metadata?.name ?? ""}`;
}
