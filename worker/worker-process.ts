// One worker: loads the pool's models once, warms them, reports ready, holds the heartbeat
// Lease and runs the Artworks the operator binds to it.
import { statfs } from "node:fs/promises";
import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { MODEL_POOL } from "../crds/api.ts";
import type { ModelPool } from "../crds/model-pool.ts";
import { heartbeatIntervalMs, type WorkerModelReport, type WorkerReport } from "../crds/worker-protocol.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import { EventRecorder } from "../lib/kube/event-recorder.ts";
import type { Logger } from "../lib/observability/logger.ts";
import { createRegistry } from "../lib/observability/metric-families.ts";
import { createProbeServer } from "../lib/http/probe-server.ts";
import { listen } from "../lib/http/listen.ts";
import { servingCertificate } from "../lib/http/serving-certificate.ts";
import { AccessReviewer } from "../lib/kube/access-reviewer.ts";
import { PreviewHub, type StreamLimits } from "./http/preview-hub.ts";
import { createStreamServer, type StreamCaps } from "./http/stream-server.ts";
import { InferenceHost } from "./inference/inference-host.ts";
import { ArtworkRunner } from "./kube/artwork-runner.ts";
import { generatorDefaults, type GeneratorDefaults } from "./pipeline/generator-defaults.ts";
import { Heartbeat } from "./kube/heartbeat.ts";
import { resolveModelDir } from "./pipeline/model-sources.ts";
import { registerGpuMemory } from "./gpu-memory.ts";
import { workerMetrics } from "./metrics.ts";
import type { ModelSpec } from "./pipeline/render-request.ts";
import { DirectoryStore } from "../lib/storage/directory-store.ts";

export interface WorkerConfig {
  pool: string;
  namespace: string;
  workerId: string;
  port: number;
  /** HTTPS port of the preview streams. */
  securePort: number;
  bindAddress: string;
  /** PEM files of the HTTPS certificate; both unset: a self-signed one is made at start. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Audiences callers' tokens must be meant for (TokenReview); empty: the API server's own. */
  tokenAudiences: string[];
  authCacheTtlMs: number;
  streamCaps: StreamCaps;
  streamLimits: StreamLimits;
  storageDir: string;
  drainSeconds: number;
  /** Heartbeat Lease duration; renewed every third of it (heartbeatIntervalMs). */
  leaseSeconds: number;
}

export class WorkerProcess {
  private readonly registry = createRegistry();
  private readonly metrics = workerMetrics(this.registry);
  private readonly hub: PreviewHub;
  private readonly store: DirectoryStore;
  private servers: Server[] = [];
  private heartbeat: Heartbeat | undefined;
  private host: InferenceHost | undefined;
  private runner: ArtworkRunner | undefined;
  private models: WorkerModelReport[] = [];
  private capacity = 1;
  private notReady: { reason: string; message: string } | undefined = {
    reason: "Loading",
    message: "loading models",
  };

  constructor(
    private readonly kc: KubeConfig,
    private readonly config: WorkerConfig,
    private readonly log: Logger,
  ) {
    this.store = new DirectoryStore(config.storageDir);
    this.hub = new PreviewHub(config.streamLimits, this.metrics, log);
  }

  private report(): WorkerReport {
    return {
      ready: this.notReady === undefined && !(this.runner?.isDraining() ?? false),
      ...(this.notReady ? { reason: this.notReady.reason, message: this.notReady.message } : {}),
      models: this.models,
      capacity: this.capacity,
      ...(this.runner?.isDraining() ? { draining: true } : {}),
    };
  }

  private async notReadyReason(): Promise<string | undefined> {
    if (this.notReady) return `${this.notReady.reason}: ${this.notReady.message}`;
    if (this.runner?.isDraining()) return "Draining: shutting down";
    const health = await this.store.checkHealth();
    if (!health.ok) return `StorageUnavailable: ${health.reason}`;
    return undefined;
  }

  async start() {
    const { config, log } = this;
    const probes = createProbeServer({
      registry: this.registry,
      notReadyReason: () => this.notReadyReason(),
    });
    const certificate = await servingCertificate({
      certFile: config.tlsCertFile,
      keyFile: config.tlsPrivateKeyFile,
    });
    const streams = createStreamServer({
      certificate,
      hub: this.hub,
      reviewer: new AccessReviewer({
        kc: this.kc,
        audiences: config.tokenAudiences,
        ttlMs: config.authCacheTtlMs,
      }),
      namespace: config.namespace,
      caps: config.streamCaps,
      metrics: this.metrics,
      log,
    });
    this.servers = [probes, streams];
    const port = await listen(probes, config.port, config.bindAddress);
    const securePort = await listen(streams, config.securePort, config.bindAddress);
    log.info(
      {
        port,
        securePort,
        selfSigned: certificate.selfSigned,
        certificateSha256: certificate.fingerprint256,
      },
      "http servers listened",
    );

    const pool = await new CustomObjectClient(this.kc).get<ModelPool>(
      MODEL_POOL,
      config.namespace,
      config.pool,
    );
    this.capacity = pool.spec.concurrency ?? 1;
    this.models = pool.spec.models.map((m) => ({ name: m.name, role: m.role, state: "Loading" }));
    this.heartbeat = new Heartbeat(
      this.kc,
      config.namespace,
      config.pool,
      config.workerId,
      () => this.report(),
      log,
      heartbeatIntervalMs(config.leaseSeconds),
      config.leaseSeconds,
    );
    await this.heartbeat.start();

    const specs: ModelSpec[] = [];
    const defaults = new Map<string, GeneratorDefaults>();
    const failures: string[] = [];
    for (const m of pool.spec.models) {
      try {
        const dir = await resolveModelDir(m);
        specs.push({ name: m.name, role: m.role, dir });
        if (m.role === "generator") defaults.set(m.name, await generatorDefaults(dir));
      } catch (err) {
        failures.push(`${m.name}: ${(err as Error).message}`);
        this.setModel(m.name, "Failed", (err as Error).message);
      }
    }
    const t0 = performance.now();
    this.host = await InferenceHost.start({
      models: specs,
      accelerator: pool.spec.accelerator ?? "cpu",
      concurrency: this.capacity,
      warmupSteps: pool.spec.warmup?.enabled === false ? 0 : (pool.spec.warmup?.steps ?? 2),
      logger: log,
    });
    if (this.host.provider === "cuda") registerGpuMemory(this.registry, config.pool);
    for (const s of this.host.modelStates()) this.setModel(s.name, s.state, s.message);
    for (const s of this.host.modelStates())
      if (s.state === "Failed") failures.push(`${s.name}: ${s.message ?? "failed to load"}`);
    for (const m of this.models)
      this.metrics.preloaded.set({ pool: config.pool, model: m.name }, m.state === "Ready" ? 1 : 0);

    this.runner = new ArtworkRunner({
      kc: this.kc,
      namespace: config.namespace,
      pool: config.pool,
      workerId: config.workerId,
      capacity: this.capacity,
      host: this.host,
      store: this.store,
      hub: this.hub,
      metrics: this.metrics,
      registry: this.registry,
      defaults: (model) => defaults.get(model),
      log,
      events: new EventRecorder(this.kc, `aria-worker/${config.workerId}`, log),
      onDraining: () => void this.heartbeat?.beatSafely(),
    });
    await this.runner.start();

    const disk = await statfs(config.storageDir).catch(() => undefined);
    if (failures.length > 0) {
      this.notReady = { reason: "ModelLoadFailed", message: failures.join("; ") };
      log.error({ failures }, "models failed to load; worker stays not ready");
    } else {
      this.notReady = undefined;
      log.info(
        {
          seconds: Math.round((performance.now() - t0) / 10) / 100,
          models: specs.map((s) => s.name),
          freeBytes: disk ? disk.bavail * disk.bsize : undefined,
        },
        "loaded and warmed models; worker ready",
      );
    }
    await this.heartbeat.beatSafely();
  }

  private setModel(name: string, state: WorkerModelReport["state"], message?: string) {
    this.models = this.models.map((m) =>
      m.name === name ? { ...m, state, ...(message ? { message } : {}) } : m,
    );
  }

  /** Drains: finishes or hands back running Artworks, then releases the Lease. */
  async stop() {
    this.log.info("draining");
    await this.heartbeat?.beatSafely();
    await this.runner?.drain(this.config.drainSeconds * 1000);
    await this.heartbeat?.stop(true);
    await this.host?.close();
    this.hub.closeAll();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.log.info("worker stopped");
  }
}
