// Keeps a ModelPool's worker Deployment, Service, PodDisruptionBudget and model ConfigMap in line
// with its spec, and reports the pool's health from the workers' heartbeats.
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from "@kubernetes/client-node";
import { MODEL_POOL } from "../../crds/api.ts";
import { isActive, isTerminal } from "../../crds/artwork-conditions.ts";
import { setCondition, type Condition } from "../../crds/condition.ts";
import type { ModelLoadState, ModelPool, ModelPoolStatus } from "../../crds/model-pool.ts";
import type { OperatorContext } from "../context.ts";
import type { ObjectKey, ReconcileResult } from "../../lib/kube/controller.ts";
import { isAlive, isSchedulable } from "../scheduling/worker-view.ts";
import type { WorkerRegistry } from "../scheduling/worker-registry.ts";
import { desiredObjects, SPEC_HASH_ANNOTATION, selectorString, workerName } from "./worker-deployment.ts";

const FIELD_MANAGER = "aria-operator";
/** Status changes with every heartbeat under load; one write per pool per interval is plenty. */
const STATUS_INTERVAL_MS = 2_000;

export class ModelPoolController {
  private readonly objects: KubernetesObjectApi;
  private readonly lastStatusWrite = new Map<string, number>();

  constructor(
    private readonly ctx: OperatorContext,
    private readonly workers: WorkerRegistry,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(ctx.kc);
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const pool = this.ctx.caches.pools.get(key.namespace, key.name);
    if (!pool || pool.metadata.deletionTimestamp) return;
    const { deployment, service, pdb, configMap, serviceAccount, roleBinding, hash } = desiredObjects(
      pool,
      this.ctx.config,
    );
    const current = this.ctx.caches.deployments.get(key.namespace, workerName(pool));
    if (current?.metadata?.annotations?.[SPEC_HASH_ANNOTATION] !== hash) {
      for (const obj of [serviceAccount, roleBinding, configMap, service, pdb, deployment])
        await this.apply(obj);
      this.ctx.events.record(
        pool,
        "Normal",
        current ? "Updated" : "Created",
        `applied worker Deployment ${workerName(pool)} (spec ${hash})`,
      );
      this.ctx.log.info({ modelpool: `${key.namespace}/${key.name}`, hash }, "applied worker objects");
    }
    return this.updateStatus(pool, hash);
  }

  private async apply(obj: KubernetesObject) {
    await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  private async updateStatus(pool: ModelPool, hash: string): Promise<ReconcileResult | void> {
    const namespace = pool.metadata.namespace ?? "";
    const name = pool.metadata.name ?? "";
    const workers = this.workers.forPool(namespace, name).filter((w) => isAlive(w));
    const ready = workers.filter((w) => isSchedulable(w));
    const artworks = this.ctx.caches.artworks.list(namespace).filter((a) => a.spec.poolRef.name === name);
    const inFlight = artworks.filter((a) => isActive(a.status?.phase)).length;
    const queueDepth = artworks.filter(
      (a) => !isActive(a.status?.phase) && !isTerminal(a.status?.phase),
    ).length;

    const models = pool.spec.models.map((m) => {
      const reports = workers.flatMap((w) => w.report?.models.filter((r) => r.name === m.name) ?? []);
      const readyWorkers = reports.filter((r) => r.state === "Ready").length;
      const failed = reports.find((r) => r.state === "Failed");
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
        ...(failed?.message ? { message: failed.message } : {}),
      };
    });

    const desired = pool.spec.replicas ?? 1;
    const gen = pool.metadata.generation;
    const failures = models.filter((m) => m.state === "Failed");
    const notReady = workers.filter((w) => !w.report?.ready && w.report?.reason);
    let conditions: Condition[] = pool.status?.conditions ?? [];
    const readyMsg = `${ready.length}/${desired} workers warm`;
    conditions = setCondition(conditions, {
      type: "Ready",
      status: ready.length >= desired ? "True" : "False",
      reason:
        ready.length >= desired ? "WorkersReady" : workers.length === 0 ? "NoWorkers" : "WorkersWarming",
      message: readyMsg,
      observedGeneration: gen,
    });
    conditions = setCondition(conditions, {
      type: "Progressing",
      status: ready.length < desired ? "True" : "False",
      reason: ready.length < desired ? "ScalingUp" : "Stable",
      message: readyMsg,
      observedGeneration: gen,
    });
    const degradedMsg = [
      ...failures.map((m) => `model ${m.name}: ${m.message ?? "failed to load"}`),
      ...notReady.map((w) => `worker ${w.id}: ${w.report?.message ?? w.report?.reason}`),
    ].join("; ");
    conditions = setCondition(conditions, {
      type: "Degraded",
      status:
        failures.length > 0 || notReady.some((w) => w.report?.reason === "ModelLoadFailed")
          ? "True"
          : "False",
      reason: failures.length > 0 ? "ModelLoadFailed" : "AsExpected",
      message: degradedMsg || "all models load",
      observedGeneration: gen,
    });
    conditions = setCondition(conditions, {
      type: "Reconciling",
      status: ready.length < desired ? "True" : "False",
      reason: ready.length < desired ? "WorkersWarming" : "Stable",
      message: readyMsg,
      observedGeneration: gen,
    });

    const status: ModelPoolStatus = {
      observedGeneration: gen,
      conditions,
      replicas: workers.length,
      readyReplicas: ready.length,
      selector: selectorString(pool),
      modelNames: pool.spec.models.map((m) => m.name).join(","),
      queueDepth,
      inFlight,
      models,
    };
    const m = this.ctx.metrics;
    m.poolSize.set({ namespace, pool: name }, workers.length);
    for (const model of models)
      m.poolPreloaded.set({ namespace, pool: name, model: model.name }, model.readyWorkers);

    if (JSON.stringify(status) === JSON.stringify(pool.status)) return;
    const key = `${namespace}/${name}`;
    const since = Date.now() - (this.lastStatusWrite.get(key) ?? 0);
    const structural =
      pool.status?.observedGeneration !== gen ||
      pool.status?.readyReplicas !== ready.length ||
      pool.status?.replicas !== workers.length ||
      JSON.stringify(pool.status?.models) !== JSON.stringify(models);
    if (!structural && since < STATUS_INTERVAL_MS) return { requeueAfterMs: STATUS_INTERVAL_MS - since };
    await this.ctx.client.patchStatus(MODEL_POOL, namespace, name, status, pool.metadata.resourceVersion);
    this.lastStatusWrite.set(key, Date.now());
    if (pool.status?.readyReplicas !== ready.length) {
      this.ctx.events.record(pool, "Normal", "WorkersReady", `${readyMsg} (spec ${hash})`);
    }
  }
}
