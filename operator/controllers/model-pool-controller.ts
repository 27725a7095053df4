// Keeps a ModelPool's worker Deployment, Service, PodDisruptionBudget and model ConfigMap in line
// with its spec, and reports the pool's health from the workers' heartbeats.
import {
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { MODEL_POOL } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { isActive, isTerminal } from "../../crds/artwork-conditions.ts";
import { setCondition, type Condition } from "../../crds/condition.ts";
import type { ModelLoadState, ModelPool, ModelPoolStatus } from "../../crds/model-pool.ts";
import type { Controller, ReconcileResult, Reconciler } from "../../lib/kube/controller.ts";
import { isInvalid, isNotFound, statusMessage } from "../../lib/kube/kube-errors.ts";
import { keyToString, objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import { ObjectSeries } from "../../lib/observability/object-series.ts";
import { changedBeyondProgress, poolKeyOf, type OperatorContext } from "../context.ts";
import { isAlive, isSchedulable, type WorkerView } from "../scheduling/worker-view.ts";
import {
  desiredObjects,
  reviewBindingName,
  SPEC_HASH_ANNOTATION,
  selectorString,
  WORKER_SERVICE_ACCOUNT,
  workerName,
} from "./worker-deployment.ts";

const FIELD_MANAGER = "aria-operator";
/** Status changes with every heartbeat under load; one write per pool per interval is plenty. */
const STATUS_INTERVAL_MS = 2_000;
const CLAIM_RECHECK_MS = 15_000;

/** Unbound and unfinished: waiting for a free worker (or for a problem to be fixed). */
export function isQueued(art: Artwork) {
  return !isActive(art.status?.phase) && !isTerminal(art.status?.phase) && !art.metadata.deletionTimestamp;
}

/** Why the pool's worker pods cannot run at all, found by the controller (not by a worker). */
export interface PoolProblem {
  reason: "WorkerObjectsRejected" | "ImagesClaimMissing";
  message: string;
}

/**
 * The pool's status as its workers' heartbeats and its Artworks show it (pure). `problem` is what
 * keeps its pods from running: the API server refused a worker object made from this spec, or
 * the images claim the pods mount is not in the pool's namespace.
 */
export function poolStatus(
  pool: ModelPool,
  workers: readonly WorkerView[],
  artworks: readonly Artwork[],
  now = Date.now(),
  problem?: PoolProblem,
): ModelPoolStatus {
  const alive = workers.filter((w) => isAlive(w, now));
  const ready = alive.filter((w) => isSchedulable(w, now));
  const inFlight = artworks.filter((a) => isActive(a.status?.phase)).length;
  const queueDepth = artworks.filter(isQueued).length;

  const models = pool.spec.models.map((m) => {
    const reports = alive.flatMap((w) => w.report?.models.filter((r) => r.name === m.name) ?? []);
    const readyWorkers = reports.filter((r) => r.state === "Ready").length;
    const failed = reports.find((r) => r.state === "Failed");
    // While no worker has it, a loading worker's message says how far it is (a download's progress).
    const loading = reports.find((r) => r.state === "Loading" && r.message);
    const state: ModelLoadState =
      readyWorkers > 0
        ? "Ready"
        : failed
          ? "Failed"
          : reports.some((r) => r.state === "Warming")
            ? "Warming"
            : reports.length
              ? "Loading"
              : "Pending";
    return {
      name: m.name,
      role: m.role,
      state,
      readyWorkers,
      ...(failed?.message
        ? { message: failed.message }
        : readyWorkers === 0 && loading?.message
          ? { message: loading.message }
          : {}),
    };
  });

  const desired = pool.spec.replicas ?? 1;
  const gen = pool.metadata.generation;
  const scaling = ready.length < desired;
  const failures = models.filter((m) => m.state === "Failed");
  const notReady = alive.filter((w) => !w.report?.ready && w.report?.reason);
  // A model that fails on one worker degrades the pool even while another worker has it warm.
  const loadFailed = failures.length > 0 || notReady.some((w) => w.report?.reason === "ModelLoadFailed");
  const readyMsg = `${ready.length}/${desired} workers warm`;
  const conditions: Array<Omit<Condition, "lastTransitionTime">> = [
    {
      type: "Ready",
      status: scaling ? "False" : "True",
      reason: !scaling ? "WorkersReady" : alive.length === 0 ? "NoWorkers" : "WorkersWarming",
      message: readyMsg,
    },
    {
      type: "Progressing",
      status: scaling ? "True" : "False",
      reason: scaling ? "ScalingUp" : "Stable",
      message: readyMsg,
    },
    problem
      ? { type: "Degraded", status: "True", ...problem }
      : {
          type: "Degraded",
          status: loadFailed ? "True" : "False",
          reason: loadFailed ? "ModelLoadFailed" : "AsExpected",
          message:
            [
              ...failures.map((m) => `model ${m.name}: ${m.message ?? "failed to load"}`),
              ...notReady.map((w) => `worker ${w.id}: ${w.report?.message ?? w.report?.reason}`),
            ].join("; ") || "all models load",
        },
    {
      type: "Reconciling",
      status: scaling ? "True" : "False",
      reason: scaling ? "WorkersWarming" : "Stable",
      message: readyMsg,
    },
  ];
  return {
    observedGeneration: gen,
    conditions: conditions.reduce<Condition[]>(
      (list, c) => setCondition(list, { ...c, observedGeneration: gen }, new Date(now)),
      pool.status?.conditions ?? [],
    ),
    replicas: alive.length,
    readyReplicas: ready.length,
    selector: selectorString(pool),
    modelNames: pool.spec.models.map((m) => m.name).join(","),
    queueDepth,
    inFlight,
    models,
  };
}

export class ModelPoolController implements Reconciler {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly lastStatusWrite = new Map<string, number>();
  /** Pool gauges per pool: a deleted pool, or a model taken out of one, leaves no series behind. */
  private readonly series = new ObjectSeries();

  constructor(private readonly ctx: OperatorContext) {
    this.objects = KubernetesObjectApi.makeApiClient(ctx.kc);
    this.core = ctx.kc.makeApiClient(CoreV1Api);
    this.rbac = ctx.kc.makeApiClient(RbacAuthorizationV1Api);
  }

  setup(c: Controller) {
    const { caches, workers } = this.ctx;
    c.watch(caches.pools);
    c.watch(caches.deployments, (d) => {
      const owner = d.metadata?.ownerReferences?.find((o) => o.kind === "ModelPool" && o.controller);
      return owner ? { namespace: d.metadata?.namespace ?? "", name: owner.name } : undefined;
    });
    // Queue depth and in flight do not change with progress.
    c.watch(caches.artworks, poolKeyOf, changedBeyondProgress);
    workers.onChange((w) => c.enqueue({ namespace: w.namespace, name: w.pool }));
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const pool = this.ctx.caches.pools.get(key.namespace, key.name);
    if (!pool) {
      this.series.release(keyToString(key));
      this.lastStatusWrite.delete(keyToString(key));
      if (this.ctx.caches.pools.list(key.namespace).length === 0)
        await this.removeSharedObjects(key.namespace);
      return;
    }
    if (pool.metadata.deletionTimestamp) return;
    const { deployment, service, pdb, configMap, serviceAccount, roleBinding, reviewBinding, hash } =
      desiredObjects(pool, this.ctx.config);
    const current = this.ctx.caches.deployments.get(key.namespace, workerName(pool));
    let rejected: string | undefined;
    if (current?.metadata?.annotations?.[SPEC_HASH_ANNOTATION] !== hash) {
      try {
        for (const obj of [serviceAccount, roleBinding, reviewBinding, configMap, service, pdb, deployment])
          await this.apply(obj);
      } catch (err) {
        // 422 Invalid: no retry can help until the spec changes, so say so where users look.
        if (!isInvalid(err)) throw err;
        rejected = `the API server rejected a worker object made from this spec: ${statusMessage(err)}`;
      }
      if (rejected) {
        this.ctx.events.record(pool, "Warning", "WorkerObjectsRejected", rejected);
        this.ctx.log.warn({ modelpool: keyToString(key), hash }, rejected);
      } else {
        this.ctx.events.record(
          pool,
          "Normal",
          current ? "Updated" : "Created",
          `applied worker Deployment ${workerName(pool)} (spec ${hash})`,
        );
        this.ctx.log.info({ modelpool: keyToString(key), hash }, "applied worker objects");
      }
    }
    const problem: PoolProblem | undefined = rejected
      ? { reason: "WorkerObjectsRejected", message: rejected }
      : await this.missingImagesClaim(pool);
    const result = await this.updateStatus(pool, hash, problem);
    // Nothing tells this controller when someone creates the claim: look again.
    return problem?.reason === "ImagesClaimMissing" ? { requeueAfterMs: CLAIM_RECHECK_MS } : result;
  }

  /**
   * The images claim is namespaced: pods of a pool in another namespace than the operator's find
   * it only if someone made one there. Asked only while the Deployment has pods that are not
   * ready (none exist where workers run outside the cluster, as in local development).
   */
  private async missingImagesClaim(pool: ModelPool): Promise<PoolProblem | undefined> {
    const { config } = this.ctx;
    if (config.storageDir.startsWith("s3://")) return undefined;
    const namespace = pool.metadata.namespace ?? "";
    const pods = this.ctx.caches.deployments.get(namespace, workerName(pool))?.status;
    if (!pods?.replicas || (pods.readyReplicas ?? 0) >= pods.replicas) return undefined;
    try {
      await this.core.readNamespacedPersistentVolumeClaim({ name: config.imagesClaim, namespace });
      return undefined;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return {
      reason: "ImagesClaimMissing",
      message: `PersistentVolumeClaim "${config.imagesClaim}" (where workers store images) is not in namespace "${namespace}", so its worker pods cannot start: create it there on the same shared storage, or install Aria with object storage (storage.s3.bucket)`,
    };
  }

  /**
   * The worker ServiceAccount and its bindings are shared by a namespace's pools, so no pool owns
   * them: they go when the namespace's last pool does.
   */
  private async removeSharedObjects(namespace: string) {
    const gone = (err: unknown) => {
      if (!isNotFound(err)) throw err;
    };
    await this.core.deleteNamespacedServiceAccount({ name: WORKER_SERVICE_ACCOUNT, namespace }).catch(gone);
    await this.rbac.deleteNamespacedRoleBinding({ name: WORKER_SERVICE_ACCOUNT, namespace }).catch(gone);
    await this.rbac.deleteClusterRoleBinding({ name: reviewBindingName(namespace) }).catch(gone);
    this.ctx.log.info(
      { namespace },
      "removed the worker ServiceAccount and bindings of the namespace's last pool",
    );
  }

  private async apply(obj: KubernetesObject) {
    await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  private async updateStatus(
    pool: ModelPool,
    hash: string,
    problem?: PoolProblem,
  ): Promise<ReconcileResult | void> {
    const namespace = pool.metadata.namespace ?? "";
    const name = pool.metadata.name ?? "";
    const artworks = this.ctx.caches.artworks.list(namespace).filter((a) => a.spec.poolRef.name === name);
    const status = poolStatus(pool, this.ctx.workers.forPool(namespace, name), artworks, Date.now(), problem);
    const m = this.ctx.metrics;
    const labels = { namespace, pool: name };
    this.series.publish(objectKey(pool), [
      { gauge: m.poolSize, labels, value: status.replicas ?? 0 },
      { gauge: m.queueDepth, labels, value: status.queueDepth ?? 0 },
      { gauge: m.activeGenerations, labels, value: status.inFlight ?? 0 },
      ...(status.models ?? []).map((model) => ({
        gauge: m.poolPreloaded,
        labels: { ...labels, model: model.name },
        value: model.readyWorkers,
      })),
    ]);

    if (JSON.stringify(status) === JSON.stringify(pool.status)) return;
    const key = objectKey(pool);
    const since = Date.now() - (this.lastStatusWrite.get(key) ?? 0);
    const structural =
      pool.status?.observedGeneration !== status.observedGeneration ||
      pool.status?.readyReplicas !== status.readyReplicas ||
      pool.status?.replicas !== status.replicas ||
      JSON.stringify(pool.status?.models) !== JSON.stringify(status.models);
    if (!structural && since < STATUS_INTERVAL_MS) return { requeueAfterMs: STATUS_INTERVAL_MS - since };
    await this.ctx.client.patchStatusOf(MODEL_POOL, pool, status);
    this.lastStatusWrite.set(key, Date.now());
    if (pool.status?.readyReplicas !== status.readyReplicas) {
      const ready = status.conditions?.find((c) => c.type === "Ready");
      this.ctx.events.record(pool, "Normal", "WorkersReady", `${ready?.message} (spec ${hash})`);
    }
  }
}
