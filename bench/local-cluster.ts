// A local control plane with Aria's operator and workers as processes, for the benchmarks that
// need the whole system (the same pieces the integration tests and the demo use).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import { ARTWORK, MODEL_POOL } from "../crds/api.ts";
import type { Artwork, ArtworkSpec } from "../crds/artwork.ts";
import type { ModelPool, ModelPoolSpec } from "../crds/model-pool.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";
import { PooledKubeConfig } from "../lib/kube/pooled-kube-config.ts";
import { spawnAria, type Proc } from "../test/controlplane/aria-process.ts";
import { workerProc, type WorkerProc } from "../test/support/waits.ts";
import {
  servingTlsOf,
  startControlPlane,
  stopControlPlane,
  type ControlPlaneState,
} from "../test/controlplane/control-plane.ts";

/** Free loopback ports for each process: the plain one (probes, metrics) and the HTTPS one. */
const LOCAL_PORTS = ["--port", "0", "--secure-port", "0", "--bind-address", "127.0.0.1"];

export const BUILTIN_POOL_MODELS: ModelPoolSpec["models"] = [
  { name: "aria-painter", role: "generator", source: { builtin: "aria-painter" } },
  { name: "aria-clip", role: "clip", source: { builtin: "aria-clip" } },
  { name: "aria-aesthetic", role: "aesthetic", source: { builtin: "aria-aesthetic" } },
];

const run = promisify(execFile);
/** What `npm run build` writes. */
const OPERATOR_BUNDLE = "dist/aria-operator.mjs";
/**
 * The runtime settings the README's install steps give the operator: a 4 MB young generation
 * (V8's default grows to 16 MB per semi-space under a burst of watch events) and two malloc arenas
 * (glibc's default makes one per thread). Together about 45 MB of RSS, with the same live heap.
 */
const OPERATOR_RUNTIME = { NODE_OPTIONS: "--max-semi-space-size=4", MALLOC_ARENA_MAX: "2" };

export class LocalCluster {
  readonly client: CustomObjectClient;
  /** The control plane's loopback certificate, which the processes serve HTTPS with. */
  readonly tls: ReturnType<typeof servingTlsOf>;
  private readonly procs = new Set<Proc>();

  private constructor(
    readonly cp: ControlPlaneState,
    readonly kc: KubeConfig,
    readonly dir: string,
  ) {
    this.client = new CustomObjectClient(kc);
    this.tls = servingTlsOf(cp);
  }

  static async start(): Promise<LocalCluster> {
    // The operator runs as it ships, bundled to plain JavaScript: under tsx, the loader's own
    // thread adds about 90 MB to the process, which is not the operator's.
    await run("npm", ["run", "--silent", "build"]);
    const dir = await mkdtemp(join(tmpdir(), "aria-bench-"));
    const cp = await startControlPlane({ dataDir: join(dir, "cluster") });
    // Keep-alive like any client-go client applying a burst (Argo CD, Flux), not a handshake per create.
    const kc = new PooledKubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    return new LocalCluster(cp, kc, dir);
  }

  async namespace(name: string): Promise<string> {
    await this.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
    return name;
  }

  async pool(namespace: string, name: string, spec: Partial<ModelPoolSpec>): Promise<ModelPool> {
    return this.client.create<ModelPool>(MODEL_POOL, namespace, {
      apiVersion: "aria.dev/v1alpha1",
      kind: "ModelPool",
      metadata: { name },
      spec: { models: BUILTIN_POOL_MODELS, replicas: 1, ...spec },
    });
  }

  /**
   * Creates `count` Artworks, `inFlight` requests at a time as a GitOps burst would; `make(i)` gives
   * the i-th one's name and spec, in creation order.
   */
  async createArtworks(
    namespace: string,
    count: number,
    make: (i: number) => { name: string; spec: ArtworkSpec },
    inFlight = 50,
  ): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          const { name, spec } = make(next++);
          await this.client.create<Artwork>(ARTWORK, namespace, {
            apiVersion: "aria.dev/v1alpha1",
            kind: "Artwork",
            metadata: { name },
            spec,
          });
        }
      }),
    );
  }

  /**
   * Every Artwork event in the namespace, in order. The watch resumes from the last resourceVersion
   * it saw when the apiserver ends it (a fresh apiserver answers 429 while its priority-and-fairness
   * configuration settles), so no write is missed or seen twice.
   */
  async watchArtworks(
    namespace: string,
    onEvent: (type: string, art: Artwork) => void,
  ): Promise<{ stop: () => void }> {
    let resourceVersion: string | undefined;
    let stopped = false;
    let current: AbortController | undefined;
    const start = async (): Promise<void> => {
      current = await new Watch(this.kc).watch(
        `/apis/aria.dev/v1alpha1/namespaces/${namespace}/artworks`,
        resourceVersion ? { resourceVersion } : {},
        (type, obj) => {
          const art = obj as Artwork;
          resourceVersion = art.metadata.resourceVersion ?? resourceVersion;
          onEvent(type, art);
        },
        () => {
          if (!stopped) setTimeout(() => void start(), 200);
        },
      );
    };
    await start();
    return {
      stop: () => {
        stopped = true;
        current?.abort();
      },
    };
  }

  operator(namespace: string, env: Record<string, string> = {}): Proc {
    return this.spawn(OPERATOR_BUNDLE, ["--namespace", namespace, ...LOCAL_PORTS], {
      ...env,
      NODE_OPTIONS: [OPERATOR_RUNTIME.NODE_OPTIONS, env.NODE_OPTIONS].filter(Boolean).join(" "),
      MALLOC_ARENA_MAX: OPERATOR_RUNTIME.MALLOC_ARENA_MAX,
    });
  }

  /** A worker of `pool`; `waitForWorkerReady` (test/support/waits.ts) waits until it is warm. */
  worker(namespace: string, pool: string, id: string): WorkerProc {
    const proc = this.spawn(
      "worker/main.ts",
      ["--pool", pool, "--namespace", namespace, "--id", id, ...LOCAL_PORTS],
      {},
    );
    return workerProc(proc, this.kc, { namespace, pool, id });
  }

  private spawn(script: string, args: string[], env: Record<string, string>): Proc {
    // Info, not the debug level tests use: a thousand Artworks' debug lines would cost the operator CPU.
    const tls = ["--tls-cert-file", this.tls.certFile, "--tls-private-key-file", this.tls.keyFile];
    const proc = spawnAria(
      script,
      [...args, ...tls, "--storage-dir", join(this.dir, "images")],
      this.cp.kubeconfig,
      {
        LOG_LEVEL: "info",
        ...env,
      },
    );
    this.procs.add(proc);
    proc.child.once("exit", () => this.procs.delete(proc));
    return proc;
  }

  async stopProcesses(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.kill("SIGKILL")));
  }

  async stop(): Promise<void> {
    await this.stopProcesses();
    await stopControlPlane(this.cp, false);
    await rm(this.dir, { recursive: true, force: true });
  }
}
