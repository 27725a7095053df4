// One worker: loads the pool's models once, warms them, reports ready, holds the heartbeat
// Lease and runs the Artworks the operator binds to it.
import { statfs } from "node:fs/promises";
import type { Server } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import { MODEL_POOL } from "../crds/api.ts";
import { DEFAULT_REFINER_SWITCH, type ModelPool } from "../crds/model-pool.ts";
import {
  heartbeatIntervalMs,
  type WorkerModelReport,
  type WorkerReport,
  type WorkerStreamEndpoint,
} from "../crds/worker-protocol.ts";
import { ApiReachability } from "../lib/kube/api-reachability.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import { EventRecorder } from "../lib/kube/event-recorder.ts";
import { retryTransient } from "../lib/kube/kube-errors.ts";
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
import { FencedStatusWriter } from "./kube/fenced-status-writer.ts";
import { handBackPreviousAttempts } from "./kube/hand-back.ts";
import { generatorDefaults, type GeneratorDefaults } from "./pipeline/generator-defaults.ts";
import { poolBatching } from "./kube/pool-batching.ts";
import { Heartbeat } from "./kube/heartbeat.ts";
import { resolveModelDir } from "./pipeline/model-sources.ts";
import { registerGpuMemory } from "./gpu-memory.ts";
import { workerMetrics } from "./metrics.ts";
import type { ModelSpec } from "./pipeline/render-request.ts";
import { DirectoryStore } from "../lib/storage/directory-store.ts";
import type { ImageStore } from "../lib/storage/image-store.ts";
import { openImageStore } from "../lib/storage/open-image-store.ts";
import type { CheckableStore } from "../lib/storage/store-health.ts";
import { StorageWatch } from "./storage-watch.ts";
import { WorkerHealth } from "./worker-health.ts";

/** A temp file this old is no put in progress (a put writes one image: well under a minute). */
const STALE_TEMP_MS = 10 * 60_000;

export interface WorkerConfig {
  pool: string;
  namespace: string;
  workerId: string;
  port: number;
  /** HTTPS port of the preview streams. */
  securePort: number;
  bindAddress: string;
  /** The address the operator reaches the preview endpoint at (the pod's IP). */
  advertiseAddress?: string;
  /** PEM files of the HTTPS certificate; both unset: a self-signed one is made at start. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Audiences callers' tokens must be meant for (TokenReview); empty: the API server's own. */
  tokenAudiences: string[];
  authCacheTtlMs: number;
  streamCaps: StreamCaps;
  streamLimits: StreamLimits;
  /** A directory, or s3://bucket[/prefix] for an S3-compatible store. */
  storageDir: string;
  /** The S3 server's address when storageDir is s3://; omitted: AWS S3. */
  s3Endpoint?: string;
  drainSeconds: number;
  /** The worker is not ready with less free space than this under storageDir. */
  minFreeBytes?: number;
  /** Heartbeat Lease duration; renewed every third of it (heartbeatIntervalMs). */
  leaseSeconds: number;
  /** Where URL and repo model sources are downloaded to and found again after a restart. */
  modelCacheDir: string;
  /** The pod's UID where the worker runs in one (env POD_UID): its heartbeat Lease's owner. */
  podUid?: string;
  /** A download with no byte for this long is abandoned and resumed, up to downloadAttempts times. */
  downloadStallSeconds: number;
  downloadAttempts: number;
}

export class WorkerProcess {
  private readonly registry = createRegistry();
  private readonly metrics = workerMetrics(this.registry);
  private readonly hub: PreviewHub;
  private readonly store: ImageStore & CheckableStore;
  private readonly health = new WorkerHealth();
  private readonly storage: StorageWatch;
  private readonly api: ApiReachability;
  private servers: Server[] = [];
  private heartbeat: Heartbeat | undefined;
  private host: InferenceHost | undefined;
  private runner: ArtworkRunner | undefined;
  private models: WorkerModelReport[] = [];
  private capacity = 1;

  constructor(
    private readonly kc: KubeConfig,
    private readonly config: WorkerConfig,
    private readonly log: Logger,
  ) {
    this.store = openImageStore({
      location: config.storageDir,
      ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}),
      ...(config.minFreeBytes === undefined ? {} : { minFreeBytes: config.minFreeBytes }),
    });
    this.storage = new StorageWatch(this.store, this.health, heartbeatIntervalMs(config.leaseSeconds), log);
    this.health.set("models", { reason: "Loading", message: "loading models" });
    // The operator learns of a change with the next renewal anyway; beating now keeps it from
    // binding work here meanwhile.
    this.health.onChange(() => void this.heartbeat?.beatSafely());
    this.api = new ApiReachability({ kc, log });
    this.api.onReconnect(() => this.runner?.relist());
    this.hub = new PreviewHub(config.streamLimits, this.metrics, log);
  }

  private stream: WorkerStreamEndpoint | undefined;

  private report(): WorkerReport {
    const problem = this.health.problem();
    const draining = this.runner?.isDraining() ?? false;
    return {
      ready: problem === undefined && !draining,
      ...(problem ? { reason: problem.reason, message: problem.message } : {}),
      models: this.models,
      capacity: this.capacity,
      ...(draining ? { draining: true } : {}),
      ...(this.stream ? { stream: this.stream } : {}),
    };
  }

  private async notReadyReason(): Promise<string | undefined> {
    // A probe looks at the volume itself, so /readyz never lags behind a volume that just failed.
    await this.storage.check();
    const problem = this.health.problem();
    if (problem) return `${problem.reason}: ${problem.message}`;
    if (this.runner?.isDraining()) return "Draining: shutting down";
    // Not a health problem of the worker (the runner would refuse work for it): /readyz only.
    const api = this.api.notReachableReason();
    if (api) return `ApiUnreachable: ${api}`;
    return undefined;
  }

  private inferenceChanged() {
    const down = this.host?.unavailable();
    this.health.set("inference", down ? { reason: "InferenceUnavailable", message: down } : undefined);
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
    this.stream = {
      url: `wss://${urlHost(config.advertiseAddress ?? announcedAddress(config.bindAddress))}:${securePort}`,
      certificateSha256: certificate.fingerprint256,
    };
    log.info(
      {
        port,
        securePort,
        selfSigned: certificate.selfSigned,
        certificateSha256: certificate.fingerprint256,
      },
      "http servers listened",
    );

    this.api.start();

    // An API server that is away at start is waited for, not a reason to crash-loop.
    const pool = await retryTransient(
      () => new CustomObjectClient(this.kc).get<ModelPool>(MODEL_POOL, config.namespace, config.pool),
      {
        onRetry: (err, failures, delayMs) =>
          log.warn(
            { err: String(err), failures, delayMs: Math.round(delayMs) },
            "pool read failed; retrying",
          ),
      },
    );
    this.capacity = pool.spec.concurrency ?? 1;
    this.models = pool.spec.models.map((m) => ({ name: m.name, role: m.role, state: "Loading" }));
    await this.storage.start();
    // A worker killed mid-write left a temp file; anything older than this is no put in progress.
    const staleTemps =
      this.store instanceof DirectoryStore
        ? await this.store.removeStaleTemps(STALE_TEMP_MS).catch(() => 0)
        : 0;
    if (staleTemps > 0) log.info({ storage: this.store.root, files: staleTemps }, "removed stale temp files");
    this.heartbeat = new Heartbeat(
      this.kc,
      config.namespace,
      config.pool,
      config.workerId,
      () => this.report(),
      log,
      heartbeatIntervalMs(config.leaseSeconds),
      config.leaseSeconds,
      config.podUid,
    );
    await this.heartbeat.start();
    const events = new EventRecorder(this.kc, `aria-worker/${config.workerId}`, log);
    await handBackPreviousAttempts({
      kc: this.kc,
      namespace: config.namespace,
      workerId: config.workerId,
      writer: new FencedStatusWriter(new CustomObjectClient(this.kc), config.workerId),
      events,
      log,
    });

    const specs: ModelSpec[] = [];
    const defaults = new Map<string, GeneratorDefaults>();
    const failures: string[] = [];
    for (const m of pool.spec.models) {
      try {
        const dir = await resolveModelDir(m, {
          cacheDir: config.modelCacheDir,
          stallMs: config.downloadStallSeconds * 1000,
          attempts: config.downloadAttempts,
          onProgress: (message) => this.setModel(m.name, "Loading", message),
        });
        specs.push({
          name: m.name,
          role: m.role,
          dir,
          ...(m.refiner
            ? { refiner: { model: m.refiner.model, switchAt: m.refiner.switchAt ?? DEFAULT_REFINER_SWITCH } }
            : {}),
        });
        // The pool's per-model defaults win over what the folder implies.
        if (m.role === "generator")
          defaults.set(m.name, { ...(await generatorDefaults(m.name, dir)), ...m.defaults });
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
      onAvailabilityChange: () => this.inferenceChanged(),
    });
    if (this.host.provider === "cuda") registerGpuMemory(this.registry, config.pool);
    for (const s of this.host.modelStates()) this.setModel(s.name, s.state, s.message);
    for (const s of this.host.modelStates())
      if (s.state === "Failed") failures.push(`${s.name}: ${s.message ?? "failed to load"}`);
    for (const m of this.models)
      this.metrics.preloaded.set({ pool: config.pool, model: m.name }, m.state === "Ready" ? 1 : 0);

    // Known before the runner starts, so it hands nothing back for "Loading".
    const disk = await statfs(config.storageDir).catch(() => undefined);
    if (failures.length > 0) {
      this.health.set("models", { reason: "ModelLoadFailed", message: failures.join("; ") });
      log.error({ failures }, "models failed to load; worker stays not ready");
    } else {
      this.health.set("models", undefined);
      log.info(
        {
          seconds: Math.round((performance.now() - t0) / 10) / 100,
          models: specs.map((s) => s.name),
          freeBytes: disk ? disk.bavail * disk.bsize : undefined,
        },
        "loaded and warmed models; worker ready",
      );
    }

    const batching = poolBatching(pool.spec);
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
      ...(batching ? { batching } : {}),
      log,
      events,
      onDraining: () => void this.heartbeat?.beatSafely(),
      problem: () => this.health.problem(),
      onStorageError: async () => {
        await this.storage.check();
        await this.heartbeat?.beatSafely();
      },
    });
    await this.runner.start();
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
    this.storage.stop();
    await this.host?.close();
    await this.api.stop();
    this.hub.closeAll();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.log.info("worker stopped");
  }
}

/** A wildcard bind is announced as loopback: a worker outside a pod is reached on this machine. */
function announcedAddress(bind: string) {
  return bind === "0.0.0.0" || bind === "::" || bind === "" ? "127.0.0.1" : bind;
}

function urlHost(address: string) {
  return address.includes(":") ? `[${address}]` : address;
}
