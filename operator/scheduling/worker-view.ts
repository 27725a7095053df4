// A worker as the scheduler sees it, read from its heartbeat Lease.
import type { V1Lease } from "@kubernetes/client-node";
import { POOL_LABEL, WORKER_REPORT_ANNOTATION, type WorkerReport } from "../../crds/worker-protocol.ts";

export interface WorkerView {
  id: string;
  namespace: string;
  pool: string;
  report: WorkerReport | undefined;
  /** When the Lease expires unless renewed; a worker past it is gone. */
  expiresAt: number;
}

export function workerFromLease(lease: V1Lease): WorkerView | undefined {
  const id = lease.spec?.holderIdentity;
  const pool = lease.metadata?.labels?.[POOL_LABEL];
  const namespace = lease.metadata?.namespace;
  if (!id || !pool || !namespace) return undefined;
  const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const renewMs = renew ? new Date(renew as unknown as string).getTime() : 0;
  const expiresAt = renewMs + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
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
