// Assembles the operator: shared informer caches, the four controllers, leader election and the
// HTTP server. Caches run on every replica (a standby is warm); controllers run only on the leader.
import {
  VersionApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Lease,
} from "@kubernetes/client-node";
import type { Server } from "node:http";
import { createRegistry } from "../lib/observability/metric-families.ts";
import { GROUP, VERSION } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import { isConditionTrue } from "../crds/condition.ts";
import { COMPONENT_LABEL, WORKER_COMPONENT } from "../crds/worker-protocol.ts";
import type { OperatorConfig } from "./config.ts";
import { learningStateName, type Caches, type OperatorContext } from "./context.ts";
import { ArtworkLifecycle, changedBeyondProgress, feedbackLog } from "./controllers/artwork-controller.ts";
import { LearningFolder } from "./controllers/learning-controller.ts";
import { ModelPoolController } from "./controllers/model-pool-controller.ts";
import { PoolScheduler } from "./controllers/pool-scheduler.ts";
import { feedbackRouter } from "./http/feedback-api.ts";
import { createHttpServer, listen } from "./http/server.ts";
import { operatorMetrics } from "./metrics.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import { Controller, type ObjectKey, type Reconcile } from "../lib/kube/controller.ts";
import { EventRecorder } from "../lib/kube/event-recorder.ts";
import { Informer } from "../lib/kube/informer.ts";
import { LeaderElector } from "../lib/kube/leader-elector.ts";
import type { Logger } from "../lib/observability/logger.ts";
import { WorkerRegistry } from "./scheduling/worker-registry.ts";

function isStalled(a: Artwork) {
  return a.status?.phase === "Pending" && isConditionTrue(a.status.conditions, "Stalled");
}

function collection(group: string, version: string, plural: string, namespace: string | undefined) {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

export class Operator {
  readonly ctx: OperatorContext;
  readonly controllers: Record<"artwork" | "scheduler" | "modelpool" | "learningstate", Controller>;
  private readonly elector: LeaderElector | undefined;
  readonly workers: WorkerRegistry;
  private server: Server | undefined;
  private leading = false;
  private stopping = false;

  constructor(kc: KubeConfig, config: OperatorConfig, log: Logger) {
    const registry = createRegistry();
    const ns = config.namespace;
    const informer = <T extends KubernetesObject>(name: string, path: string, labelSelector?: string) =>
      new Informer<T>({
        kc,
        path,
        name,
        logger: log,
        registry,
        resyncMs: 5 * 60_000,
        ...(labelSelector ? { labelSelector } : {}),
      });
    const caches: Caches = {
      artworks: informer<Artwork>("artworks", collection(GROUP, VERSION, "artworks", ns)),
      pools: informer<ModelPool>("modelpools", collection(GROUP, VERSION, "modelpools", ns)),
      learning: informer<LearningState>("learningstates", collection(GROUP, VERSION, "learningstates", ns)),
      leases: informer<V1Lease>(
        "worker-leases",
        collection("coordination.k8s.io", "v1", "leases", ns),
        `${COMPONENT_LABEL}=${WORKER_COMPONENT}`,
      ),
      deployments: informer<V1Deployment>(
        "worker-deployments",
        collection("apps", "v1", "deployments", ns),
        `${COMPONENT_LABEL}=${WORKER_COMPONENT}`,
      ),
    };
    this.ctx = {
      kc,
      config,
      client: new CustomObjectClient(kc),
      caches,
      events: new EventRecorder(kc, "aria-operator", log),
      metrics: operatorMetrics(registry),
      registry,
      log,
    };

    // The reconcilers enqueue into controllers declared below; the closures only run after start.
    this.workers = new WorkerRegistry(caches.leases, (worker, alive) => {
      const key = { namespace: worker.namespace, name: worker.pool };
      schedulerC.enqueue(key);
      poolC.enqueue(key);
      if (!alive) {
        for (const a of caches.artworks.list(worker.namespace)) {
          if (a.status?.worker === worker.id)
            artworkC.enqueue({ namespace: worker.namespace, name: a.metadata.name ?? "" });
        }
      }
    });
    const scheduler = new PoolScheduler(this.ctx, this.workers, (k) => schedulerC.enqueue(k));
    const lifecycle = new ArtworkLifecycle(
      this.ctx,
      this.workers,
      (k) => schedulerC.enqueue(k),
      (k) => learningC.enqueue(k),
    );
    const pools = new ModelPoolController(this.ctx, this.workers);
    const folder = new LearningFolder(this.ctx);

    const controller = (name: string, kind: string, concurrency: number, reconcile: Reconcile) =>
      new Controller({ name, kind, logger: log, registry, concurrency, reconcile });
    const artworkC = controller("artwork", "artwork", config.concurrency, (k) => lifecycle.reconcile(k));
    const schedulerC = controller("scheduler", "modelpool", 1, (k) => scheduler.reconcile(k));
    const poolC = controller("modelpool", "modelpool", 2, (k) => pools.reconcile(k));
    const learningC = controller("learningstate", "learningstate", 1, (k) => folder.reconcile(k));
    this.controllers = {
      artwork: artworkC,
      scheduler: schedulerC,
      modelpool: poolC,
      learningstate: learningC,
    };
    const poolKeyOf = (a: Artwork): ObjectKey => ({
      namespace: a.metadata.namespace ?? "",
      name: a.spec.poolRef.name,
    });

    artworkC.watch(caches.artworks, undefined, changedBeyondProgress);
    // A pool appearing or changing can unblock Artworks stalled on it (PoolNotFound,
    // ModelNotInPool); the others do not care, and mapping them would multiply reconciles by
    // every pool status update.
    artworkC.watch(caches.pools, (p) =>
      caches.artworks
        .list(p.metadata.namespace)
        .filter((a) => a.spec.poolRef.name === p.metadata.name && isStalled(a))
        .map((a) => ({ namespace: a.metadata.namespace ?? "", name: a.metadata.name ?? "" })),
    );
    caches.artworks.on("add", (a) => scheduler.observe(a));
    caches.artworks.on("update", (a) => scheduler.observe(a));
    caches.artworks.on("delete", (a) => scheduler.forget(a));
    // Neither the scheduler nor the pool's status (queue depth, in flight) looks at progress.
    schedulerC.watch(caches.artworks, poolKeyOf, changedBeyondProgress);
    schedulerC.watch(caches.pools);
    poolC.watch(caches.pools);
    poolC.watch(caches.deployments, (d) => {
      const owner = d.metadata?.ownerReferences?.find((o) => o.kind === "ModelPool" && o.controller);
      return owner ? { namespace: d.metadata?.namespace ?? "", name: owner.name } : undefined;
    });
    poolC.watch(caches.artworks, poolKeyOf, changedBeyondProgress);
    learningC.watch(caches.learning);
    learningC.watch(caches.artworks, (a) => {
      if (feedbackLog(a).length === 0) return undefined;
      const pool = caches.pools.get(a.metadata.namespace ?? "", a.spec.poolRef.name);
      return {
        namespace: a.metadata.namespace ?? "",
        name: pool ? learningStateName(pool) : a.spec.poolRef.name,
      };
    });

    if (config.leaderElect) {
      this.elector = new LeaderElector({
        kc,
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionId,
        identity: config.identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        logger: log,
        onStartedLeading: () => this.startControllers(),
        onStoppedLeading: () => this.lostLeadership(),
      });
    }
  }

  /** Starts the caches and the HTTP server, then campaigns for leadership (or leads at once). */
  async start() {
    const { ctx } = this;
    this.workers.start();
    const api = feedbackRouter(ctx);
    const app = createHttpServer({
      registry: ctx.registry,
      readiness: { notReadyReason: () => this.notReadyReason() },
      log: ctx.log,
      api,
    });
    this.server = await listen(app, ctx.config.metricsPort, ctx.config.bindAddress);
    const address = this.server.address();
    ctx.log.info(
      { port: typeof address === "object" && address ? address.port : ctx.config.metricsPort },
      "http server listened",
    );
    await Promise.all(Object.values(ctx.caches).map((c) => c.start()));
    ctx.log.info("caches synced");
    if (this.elector) void this.elector.run();
    else await this.startControllers();
  }

  get port() {
    const address = this.server?.address();
    return typeof address === "object" && address ? address.port : undefined;
  }

  isLeader() {
    return this.leading;
  }

  private async startControllers() {
    this.leading = true;
    this.ctx.log.info({ identity: this.ctx.config.identity }, "started leading");
    await Promise.all(Object.values(this.controllers).map((c) => c.start()));
    // Level-triggered start: look at everything once, whatever happened while no one led.
    for (const p of this.ctx.caches.pools.list()) {
      const key = { namespace: p.metadata.namespace ?? "", name: p.metadata.name ?? "" };
      this.controllers.modelpool.enqueue(key);
      this.controllers.scheduler.enqueue(key);
    }
    for (const l of this.ctx.caches.learning.list()) {
      this.controllers.learningstate.enqueue({
        namespace: l.metadata.namespace ?? "",
        name: l.metadata.name ?? "",
      });
    }
  }

  /** As controller-runtime does: a replica that lost its lease exits rather than act on stale state. */
  private lostLeadership() {
    this.leading = false;
    if (this.stopping) return;
    this.ctx.log.error("lost leadership; exiting so a fresh replica starts from a clean cache");
    process.exitCode = 1;
    void this.stop().then(() => process.exit(1));
  }

  private async notReadyReason(): Promise<string | undefined> {
    const unsynced = Object.values(this.ctx.caches).filter((c) => !c.hasSynced());
    if (unsynced.length) return `caches not synced: ${unsynced.map((c) => c.name).join(", ")}`;
    try {
      await this.ctx.kc.makeApiClient(VersionApi).getCode();
    } catch (err) {
      return `Kubernetes API unreachable: ${String(err)}`;
    }
    return undefined;
  }

  /** Graceful stop: finish in-flight reconciles, release the lease, close the server. */
  async stop() {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(Object.values(this.controllers).map((c) => c.stop()));
    await this.elector?.stop();
    this.workers.stop();
    await Promise.all(Object.values(this.ctx.caches).map((c) => c.stop()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.ctx.log.info("operator stopped");
  }
}
