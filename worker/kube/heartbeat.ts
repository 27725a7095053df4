// The worker's heartbeat: a Lease naming its pool, renewed every few seconds, carrying the
// WorkerReport (models warm, capacity, in flight). The operator treats an expired Lease as a
// dead worker and hands its Artworks to another.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import {
  COMPONENT_LABEL,
  POOL_LABEL,
  WORKER_COMPONENT,
  WORKER_HEARTBEAT_MS,
  WORKER_LEASE_DURATION_SECONDS,
  WORKER_REPORT_ANNOTATION,
  workerLeaseName,
  type WorkerReport,
} from "../../crds/worker-protocol.ts";
import { isConflict, isNotFound } from "../../lib/kube/kube-errors.ts";
import type { Logger } from "../../lib/observability/logger.ts";

export class Heartbeat {
  private readonly api: CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  readonly leaseName: string;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly pool: string,
    private readonly workerId: string,
    private readonly report: () => WorkerReport,
    private readonly log: Logger,
    private readonly intervalMs = WORKER_HEARTBEAT_MS,
    private readonly leaseSeconds = WORKER_LEASE_DURATION_SECONDS,
    /** The worker's Pod (its UID from the downward API): the Lease goes with the pod, even a killed one. */
    private readonly podUid?: string,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.leaseName = workerLeaseName(pool, workerId);
  }

  /** The first renewal; one that fails (the API server is away) is retried on the next beat. */
  async start() {
    await this.beatSafely();
    this.timer = setInterval(() => void this.beatSafely(), this.intervalMs);
  }

  /** Renews now (used when the report changes, so the operator learns at once). */
  async beatSafely(): Promise<void> {
    if (this.beating) {
      // The beat in flight may carry the report from before the change: one more follows it.
      this.again ??= this.beating.then(() => {
        this.again = undefined;
        return this.beatSafely();
      });
      return this.again;
    }
    this.beating = this.beat()
      .catch((err: unknown) => this.log.warn({ lease: this.leaseName, err: String(err) }, "heartbeat failed"))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private body(existing?: V1Lease): V1Lease {
    const now = new V1MicroTime();
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.leaseName,
        namespace: this.namespace,
        labels: { [POOL_LABEL]: this.pool, [COMPONENT_LABEL]: WORKER_COMPONENT },
        annotations: { [WORKER_REPORT_ANNOTATION]: JSON.stringify(this.report()) },
        ...(this.podUid
          ? { ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: this.workerId, uid: this.podUid }] }
          : {}),
        ...(existing?.metadata?.resourceVersion
          ? { resourceVersion: existing.metadata.resourceVersion }
          : {}),
      },
      spec: {
        holderIdentity: this.workerId,
        leaseDurationSeconds: this.leaseSeconds,
        acquireTime: existing?.spec?.acquireTime ?? now,
        renewTime: now,
      },
    };
  }

  private async beat() {
    let existing: V1Lease | undefined;
    try {
      existing = await this.api.readNamespacedLease({ name: this.leaseName, namespace: this.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      if (existing) {
        await this.api.replaceNamespacedLease({
          name: this.leaseName,
          namespace: this.namespace,
          body: this.body(existing),
        });
      } else {
        await this.api.createNamespacedLease({ namespace: this.namespace, body: this.body() });
        this.log.info(
          { lease: `${this.namespace}/${this.leaseName}`, pool: this.pool },
          "registered worker lease",
        );
      }
    } catch (err) {
      // Another beat won the race; the next one renews.
      if (!isConflict(err)) throw err;
    }
  }

  /** Stops renewing; with `release`, deletes the Lease so the operator reschedules at once. */
  async stop(release: boolean) {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    if (!release) return;
    try {
      await this.api.deleteNamespacedLease({ name: this.leaseName, namespace: this.namespace });
      this.log.info({ lease: `${this.namespace}/${this.leaseName}` }, "released worker lease");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
