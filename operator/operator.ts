// Assembles the operator: shared informer caches, the four controllers, leader election and the
// HTTP servers. Caches run on every replica (a standby is warm); controllers run only on the leader.
import {
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Lease,
} from "@kubernetes/client-node";
import type { Server } from "node:http";
import { ARTWORK, LEARNING_STATE, MODEL_POOL } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import { COMPONENT_LABEL, WORKER_COMPONENT } from "../crds/worker-protocol.ts";
import { ApiReachability } from "../lib/kube/api-reachability.ts";
import { Controller, type Reconciler } from "../lib/kube/controller.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import { EventRecorder } from "../lib/kube/event-recorder.ts";
import { Informer } from "../lib/kube/informer.ts";
import { LeaderElector } from "../lib/kube/leader-elector.ts";
import { keyOf } from "../lib/kube/object-key.ts";
import type { Logger } from "../lib/observability/logger.ts";
import { createRegistry } from "../lib/observability/metric-families.ts";
import type { OperatorConfig } from "./config.ts";
import type { Caches, ControllerName, OperatorContext } from "./context.ts";
import { ArtworkController } from "./controllers/artwork-controller.ts";
import { LearningController } from "./controllers/learning-controller.ts";
import { ModelPoolController } from "./controllers/model-pool-controller.ts";
import { PoolScheduler } from "./controllers/pool-scheduler.ts";
import { CallerAccess } from "./http/caller-access.ts";
import { feedbackRouter } from "./http/feedback-api.ts";
import { galleryRouter } from "./http/gallery-api.ts";
import { learningRouter } from "./http/learning-api.ts";
import { defaultGalleryDir, galleryAppRouter } from "./http/gallery-app.ts";
import { artworkImagesRouter } from "./http/artwork-images.ts";
import { authoringRouter } from "./http/authoring-api.ts";
import { attachPreviewRelay } from "./http/preview-relay.ts";
import { createApiServer } from "./http/server.ts";
import { exportRouter } from "./http/export-api.ts";
import { shareApiRouter, sharePagesRouter } from "./http/share-links.ts";
import { loadShareKey } from "./sharing/share-key.ts";
import { pushRouter } from "./http/push-api.ts";
import { PushNotifier } from "./push/push-notifier.ts";
import { setUpPush, type Push } from "./push/push-setup.ts";
import { createProbeServer } from "../lib/http/probe-server.ts";
import { listen } from "../lib/http/listen.ts";
import { servingCertificate } from "../lib/http/serving-certificate.ts";
import { openImageStore } from "../lib/storage/open-image-store.ts";
import { operatorMetrics } from "./metrics.ts";
import { WorkerRegistry } from "./scheduling/worker-registry.ts";

function collection(group: string, version: string, plural: string, namespace: string | undefined) {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

export class Operator {
  readonly ctx: OperatorContext;
  readonly controllers: Record<ControllerName, Controller>;
  private readonly elector: LeaderElector | undefined;
  private readonly api: ApiReachability;
  /** Web Push: its keys and sender, when --vapid-key-file is given. */
  private readonly push: Push | undefined;
  private servers: Server[] = [];
  private leading = false;
  private stopping = false;

  constructor(kc: KubeConfig, config: OperatorConfig, log: Logger) {
    const registry = createRegistry();
    this.api = new ApiReachability({ kc, log });
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
    const workerSelector = `${COMPONENT_LABEL}=${WORKER_COMPONENT}`;
    const caches: Caches = {
      artworks: informer<Artwork>("artworks", collection(ARTWORK.group, ARTWORK.version, ARTWORK.plural, ns)),
      pools: informer<ModelPool>(
        "modelpools",
        collection(MODEL_POOL.group, MODEL_POOL.version, MODEL_POOL.plural, ns),
      ),
      learning: informer<LearningState>(
        "learningstates",
        collection(LEARNING_STATE.group, LEARNING_STATE.version, LEARNING_STATE.plural, ns),
      ),
      leases: informer<V1Lease>(
        "worker-leases",
        collection("coordination.k8s.io", "v1", "leases", ns),
        workerSelector,
      ),
      deployments: informer<V1Deployment>(
        "worker-deployments",
        collection("apps", "v1", "deployments", ns),
        workerSelector,
      ),
    };
    this.push = setUpPush(config, log);
    this.ctx = {
      kc,
      config,
      client: new CustomObjectClient(kc),
      caches,
      workers: new WorkerRegistry(caches.leases, undefined, undefined, () => this.api.lastReachedAt()),
      images: openImageStore({
        location: config.storageDir,
        ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}),
      }),
      // Controllers are made below; a reconcile only runs once they all exist.
      enqueue: (controller, key) => this.controllers[controller].enqueue(key),
      isLeader: () => this.leading,
      events: new EventRecorder(kc, "aria-operator", log),
      metrics: operatorMetrics(registry),
      registry,
      log,
    };
    const controller = (name: ControllerName, kind: string, concurrency: number, reconciler: Reconciler) => {
      const c = new Controller({
        name,
        kind,
        logger: log,
        registry,
        concurrency,
        reconcile: (key) => reconciler.reconcile(key),
      });
      reconciler.setup(c);
      return c;
    };
    this.controllers = {
      artwork: controller("artwork", "artwork", config.concurrency, new ArtworkController(this.ctx)),
      scheduler: controller("scheduler", "modelpool", 1, new PoolScheduler(this.ctx)),
      modelpool: controller("modelpool", "modelpool", 2, new ModelPoolController(this.ctx)),
      learningstate: controller("learningstate", "learningstate", 1, new LearningController(this.ctx)),
      push: controller("push", "artwork", 2, new PushNotifier(this.ctx, this.push?.sender)),
    };

    // Back from an outage: watches may have hung through it, and Lease renewals this replica could
    // not see say nothing about the workers, so each gets a full lease from now to be seen again.
    this.api.onReconnect(() => {
      for (const c of Object.values(caches)) c.relistNow();
      this.ctx.workers.restartObservations();
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
    this.api.start();
    ctx.workers.start();
    const probes = createProbeServer({
      registry: ctx.registry,
      notReadyReason: () => this.notReadyReason(),
    });
    const certificate = await servingCertificate({
      certFile: ctx.config.tlsCertFile,
      keyFile: ctx.config.tlsPrivateKeyFile,
    });
    const access = new CallerAccess(ctx);
    const shareKey = await loadShareKey(ctx.config.shareKeyFile, ctx.log);
    const api = createApiServer({
      certificate,
      log: ctx.log,
      api: [
        feedbackRouter(ctx, access),
        galleryRouter(ctx, access),
        learningRouter(ctx, access),
        artworkImagesRouter(ctx, access),
        authoringRouter(ctx, access),
        exportRouter(ctx, access),
        shareApiRouter(ctx, access, shareKey),
        pushRouter(ctx, access, this.push?.keys),
      ],
      pages: [
        sharePagesRouter(ctx, shareKey),
        galleryAppRouter(ctx.config.galleryDir ?? defaultGalleryDir()),
      ],
    });
    attachPreviewRelay(api, ctx, access);
    this.servers = [probes, api];
    const port = await listen(probes, ctx.config.metricsPort, ctx.config.bindAddress);
    const securePort = await listen(api, ctx.config.securePort, ctx.config.bindAddress);
    ctx.log.info(
      {
        port,
        securePort,
        selfSigned: certificate.selfSigned,
        certificateSha256: certificate.fingerprint256,
      },
      "http servers listened",
    );
    await Promise.all(Object.values(ctx.caches).map((c) => c.start()));
    ctx.log.info("caches synced");
    if (this.elector) void this.elector.run();
    else await this.startControllers();
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
      this.controllers.modelpool.enqueue(keyOf(p));
      this.controllers.scheduler.enqueue(keyOf(p));
    }
    for (const l of this.ctx.caches.learning.list()) this.controllers.learningstate.enqueue(keyOf(l));
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
    return this.api.notReachableReason();
  }

  /** Graceful stop: finish in-flight reconciles, release the lease, close the servers. */
  async stop() {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all(Object.values(this.controllers).map((c) => c.stop()));
    await this.elector?.stop();
    this.ctx.workers.stop();
    await this.api.stop();
    await Promise.all(Object.values(this.ctx.caches).map((c) => c.stop()));
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.push?.sender.close();
    this.ctx.log.info("operator stopped");
  }
}
