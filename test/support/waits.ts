// Waits on what a kubelet or the operator sees of Aria's processes: probes, the election Lease,
// worker heartbeat Leases and /metrics. Free of vitest, so the demo and the benchmarks share them.
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { WORKER_REPORT_ANNOTATION, workerLeaseName, type WorkerReport } from "../../crds/worker-protocol.ts";
import { isNotFound } from "../../lib/kube/kube-errors.ts";
import type { Proc } from "../controlplane/aria-process.ts";

/** An operator process and where its election Lease is. */
export interface OperatorProc extends Proc {
  kc: KubeConfig;
  /** Its `--identity`: what the election Lease names as holder while it leads. */
  identity: string;
  leaseNamespace: string;
  /** Its `--leader-election-id`. */
  leaseName: string;
}

/** A worker process and the heartbeat Lease it registers, as a pod of its pool would. */
export interface WorkerProc extends Proc {
  kc: KubeConfig;
  namespace: string;
  pool: string;
  id: string;
}

export function operatorProc(
  proc: Proc,
  kc: KubeConfig,
  election: { identity: string; namespace: string; leaseName?: string },
): OperatorProc {
  return Object.assign(proc, {
    kc,
    identity: election.identity,
    leaseNamespace: election.namespace,
    leaseName: election.leaseName ?? "aria-operator",
  });
}

export function workerProc(
  proc: Proc,
  kc: KubeConfig,
  worker: { namespace: string; pool: string; id: string },
): WorkerProc {
  return Object.assign(proc, { kc, ...worker });
}

/**
 * Polls `read` until `ok` holds and returns that value. A read that throws counts as not yet. Fails
 * at once when `proc` exits, or after `timeoutMs`, with the last value and the process's log tail.
 */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; proc?: Proc } = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 200, proc } = options;
  const deadline = Date.now() + timeoutMs;
  let last: T | { error: string } | undefined;
  const fail = (why: string) =>
    new Error(
      `${what}: ${why}; last seen: ${JSON.stringify(last)?.slice(0, 2000)}` +
        (proc ? `\n--- process log ---\n${proc.output().slice(-4000)}` : ""),
    );
  for (;;) {
    try {
      const value = await read();
      last = value;
      if (ok(value)) return value;
    } catch (err) {
      last = { error: String(err) };
    }
    if (proc && !proc.running())
      throw fail(`process exited (${proc.child.exitCode ?? proc.child.signalCode}) first`);
    if (Date.now() > deadline) throw fail(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET on the process's HTTP port; status 0 when nothing answers. */
export async function httpGet(proc: Proc, path: string): Promise<{ status: number; body: string }> {
  const port = await proc.port();
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

/** The operator's readiness probe answers 200: its caches have synced and the API is reachable. */
export async function waitForOperatorReady(op: Proc, timeoutMs = 60_000) {
  await waitFor(
    "operator /readyz 200",
    () => httpGet(op, "/readyz"),
    (r) => r.status === 200,
    {
      timeoutMs,
      proc: op,
    },
  );
}

/** Who holds the election Lease now (undefined when it does not exist yet). */
export async function leaseHolder(kc: KubeConfig, namespace: string, name: string) {
  try {
    const lease = await kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name, namespace });
    return lease.spec?.holderIdentity ?? undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The election Lease names this operator as its holder. Polls often, so a takeover can be timed. */
export async function waitForLeading(op: OperatorProc, timeoutMs = 60_000) {
  await waitFor(
    `operator ${op.identity} holds Lease ${op.leaseNamespace}/${op.leaseName}`,
    () => leaseHolder(op.kc, op.leaseNamespace, op.leaseName),
    (holder) => holder === op.identity,
    { timeoutMs, intervalMs: 50, proc: op },
  );
}

/** What the worker last told the operator through its heartbeat Lease (undefined: no Lease yet). */
export async function workerReport(w: WorkerProc): Promise<WorkerReport | undefined> {
  try {
    const lease = await w.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: workerLeaseName(w.pool, w.id), namespace: w.namespace });
    const json = lease.metadata?.annotations?.[WORKER_REPORT_ANNOTATION];
    return json ? (JSON.parse(json) as WorkerReport) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Waits until the worker's heartbeat Lease carries a report that satisfies `ok`. */
export async function waitForWorkerReport(
  w: WorkerProc,
  ok: (report: WorkerReport) => boolean,
  timeoutMs = 120_000,
): Promise<WorkerReport> {
  const report = await waitFor(
    `worker ${w.id}'s Lease report`,
    () => workerReport(w),
    (r) => r !== undefined && ok(r),
    { timeoutMs, intervalMs: 250, proc: w },
  );
  return report!;
}

/**
 * The worker is ready as both sides see it: its Lease report says ready (what the operator
 * schedules on) and its /readyz answers 200 (what a kubelet probes), so this very process, not a
 * stale Lease of an earlier one with the same id, has its models loaded and warm.
 */
export async function waitForWorkerReady(w: WorkerProc, timeoutMs = 120_000) {
  await waitFor(
    `worker ${w.id} ready (Lease report and /readyz)`,
    async () => {
      const [report, readyz] = await Promise.all([workerReport(w), httpGet(w, "/readyz")]);
      return { report, readyz };
    },
    (v) => v.report?.ready === true && v.readyz.status === 200,
    { timeoutMs, intervalMs: 250, proc: w },
  );
}
