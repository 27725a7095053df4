// A worker as the scheduler sees it, read from its heartbeat Lease.
import type { V1Lease } from "@kubernetes/client-node";
import { POOL_LABEL, WORKER_REPORT_ANNOTATION, type WorkerReport } from "../../crds/worker-protocol.ts";
import { observedExpiry, type LeaseObservation } from "../../lib/kube/lease-observation.ts";

export interface WorkerView {
  id: string;
  namespace: string;
  pool: string;
  report: WorkerReport | undefined;
  /**
   * Local time after which the worker is gone unless it renews: when this operator last saw its
   * Lease change, plus the lease duration. The worker's own renewTime is never compared with our
   * clock, so a worker whose clock is skewed is judged only by whether it keeps renewing.
   */
  expiresAt: number;
}

/** The worker a Lease describes, given when this operator observed the Lease's current renewal. */
export function workerFromLease(lease: V1Lease, observation: LeaseObservation): WorkerView | undefined {
  const id = lease.spec?.holderIdentity;
  const pool = lease.metadata?.labels?.[POOL_LABEL];
  const namespace = lease.metadata?.namespace;
  if (!id || !pool || !namespace) return undefined;
  const expiresAt = observedExpiry(observation, lease.spec?.leaseDurationSeconds);
  let report: WorkerReport | undefined;
  try {
    const raw = lease.metadata?.annotations?.[WORKER_REPORT_ANNOTATION];
    report = raw ? (JSON.parse(raw) as WorkerReport) : undefined;
  } catch {
    report = undefined;
  }
  return { id, namespace, pool, report, expiresAt };
}

export function isAlive(worker: WorkerView, now = Date.now()) {
  return worker.expiresAt > now;
}

/** Alive, warm, not draining. */
export function isSchedulable(worker: WorkerView, now = Date.now()) {
  return isAlive(worker, now) && worker.report?.ready === true && worker.report.draining !== true;
}

export function hasModelWarm(worker: WorkerView, model: string) {
  return worker.report?.models.some((m) => m.name === model && m.state === "Ready") ?? false;
}
