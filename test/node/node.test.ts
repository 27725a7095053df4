// Aria installed the way a cluster operator installs it, on a real node of this machine: the
// images imported into containerd, `helm install` of charts/aria with object storage (a real S3
// server on the node's own address), the samples applied with kubectl, images read back with
// `kubectl aria save`, a pool scaled and a worker pod killed mid-render, then `helm uninstall`.
// Last, stopping the node leaves nothing behind on the machine.
import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { buildImages } from "../../images/build.ts";
import { API_ADDRESS, leftovers, NODE_LIB } from "../controlplane/node-host.ts";
import { startNodeCluster, stopNodeCluster, type NodeClusterState } from "../controlplane/node.ts";
import { CHART_DIR, helm } from "../support/helm.ts";
import { kubectlAria } from "../support/kubectl-aria.ts";
import { startS3Server, type S3Server } from "../support/versitygw.ts";

const run = promisify(execFile);
const RELEASE = "aria";
const SYSTEM = "aria-system";
const BUCKET = "aria-images";
const IMAGES_VOLUME = join(NODE_LIB, "volumes", "images");

/** helm against the node's cluster, in the release namespace. */
const helmOnNode = (args: string[]) =>
  helm([...args, "--kubeconfig", node!.controlPlane.kubeconfig, "--namespace", SYSTEM]);

let node: NodeClusterState | undefined;
let s3: S3Server | undefined;

async function k(...args: string[]): Promise<string> {
  const cp = node!.controlPlane;
  const { stdout } = await run(cp.kubectl, ["--kubeconfig", cp.kubeconfig, ...args], { maxBuffer: 2 ** 26 });
  return stdout;
}

async function json<T>(...args: string[]): Promise<T> {
  return JSON.parse(await k(...args, "-o", "json")) as T;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} within ${timeoutMs / 1000}s${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Pod {
  metadata: { name: string; uid: string; namespace: string; deletionTimestamp?: string };
  status: {
    phase: string;
    conditions?: { type: string; status: string; lastTransitionTime: string }[];
    containerStatuses?: { ready: boolean; state: { running?: { startedAt: string } } }[];
  };
}

const ready = (pod: Pod) =>
  pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
const workerPods = async () =>
  (await json<{ items: Pod[] }>("get", "pods", "-n", "default", "-l", "aria.dev/pool=studio")).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );

/** The time of the worker container's last "model warmed up" log line, from the kubelet's pod log. */
async function lastWarmedUp(pod: Pod): Promise<number> {
  const dir = `/var/log/pods/${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}/worker`;
  const files = await readdir(dir);
  const lines = (await Promise.all(files.map((f) => readFile(join(dir, f), "utf8")))).join("\n").split("\n");
  const warm = lines.filter((l) => l.includes("model warmed up")).map((l) => Date.parse(l.split(" ")[0]!));
  return Math.max(...warm);
}

const artwork = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: "aria.dev/v1alpha1", kind: "Artwork", metadata: { name }, spec });

async function apply(manifest: string) {
  const cp = node!.controlPlane;
  const child = execFile(cp.kubectl, ["--kubeconfig", cp.kubeconfig, "apply", "-f", "-"]);
  child.stdin!.end(manifest);
  await new Promise<void>((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`)))),
  );
}

beforeAll(async () => {
  const images = await buildImages();
  node = await startNodeCluster({ images });
  // Pods reach the bucket at the node's address, as they would a cluster's object store.
  s3 = await startS3Server(API_ADDRESS);
  await mkdir(join(s3.root, BUCKET));
}, 600_000);

afterAll(async () => {
  if (node) await stopNodeCluster(node);
  await s3?.stop();
});

describe("Aria on a real node", () => {
  it("helm install: both operator replicas become Ready and one of them holds the leader Lease", async () => {
    // The chart's images claim, bound to a volume on the node as a storage class would bind it.
    await mkdir(IMAGES_VOLUME, { recursive: true });
    await chown(IMAGES_VOLUME, 65532, 65532);
    await apply(
      JSON.stringify({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "aria-node-images" },
        spec: {
          capacity: { storage: "10Gi" },
          accessModes: ["ReadWriteMany"],
          persistentVolumeReclaimPolicy: "Retain",
          hostPath: { path: IMAGES_VOLUME, type: "Directory" },
        },
      }),
    );
    const install = await helmOnNode([
      "install",
      RELEASE,
      CHART_DIR,
      "--create-namespace",
      "--wait",
      "--timeout",
      "180s",
    ]);
    expect(install.code, install.stderr).toBe(0);
    expect(await k("get", "pvc", "aria-images", "-n", SYSTEM, "-o", "jsonpath={.status.phase}")).toBe(
      "Bound",
    );
    const pods = (
      await json<{ items: Pod[] }>("get", "pods", "-n", SYSTEM, "-l", "app.kubernetes.io/component=operator")
    ).items;
    expect(pods.filter(ready)).toHaveLength(2);
    const holder = await until(
      "an operator did not take the lease",
      60_000,
      async () =>
        (await k("get", "lease", "aria-operator", "-n", SYSTEM, "-o", "jsonpath={.spec.holderIdentity}")) ||
        undefined,
    );
    expect(pods.map((p) => p.metadata.name)).toContain(holder.split("_")[0]);
  });

  it("a pool in a namespace without the images claim says so; helm upgrade to object storage starts its workers", async () => {
    await k("apply", "-f", "samples/01-modelpool.yaml", "-f", "samples/02-learningstate.yaml");
    const degraded = await until("the pool did not say why its workers cannot start", 120_000, async () =>
      (await json<ModelPool>("get", "modelpool", "studio")).status?.conditions?.find(
        (c) => c.type === "Degraded" && c.status === "True",
      ),
    );
    expect(degraded.reason).toBe("ImagesClaimMissing");
    expect(degraded.message).toContain('PersistentVolumeClaim "aria-images"');
    expect(degraded.message).toContain('namespace "default"');

    for (const ns of [SYSTEM, "default"])
      await k(
        "create",
        "secret",
        "generic",
        "aria-s3",
        "-n",
        ns,
        `--from-literal=AWS_ACCESS_KEY_ID=${s3!.accessKeyId}`,
        `--from-literal=AWS_SECRET_ACCESS_KEY=${s3!.secretAccessKey}`,
      );
    const upgrade = await helmOnNode([
      "upgrade",
      RELEASE,
      CHART_DIR,
      "--set",
      `storage.s3.bucket=${BUCKET}`,
      "--set",
      `storage.s3.endpoint=${s3!.endpoint}`,
      "--set",
      "storage.s3.credentialsSecret=aria-s3",
      "--wait",
      "--timeout",
      "180s",
    ]);
    expect(upgrade.code, upgrade.stderr).toBe(0);
  });

  it("the sample ModelPool's worker pods become Ready only once their models are warm", async () => {
    const seenUnready = new Set<string>();
    const pods = await until("two worker pods did not become Ready", 240_000, async () => {
      const now = await workerPods();
      for (const p of now)
        if (p.status.containerStatuses?.[0]?.state.running && !ready(p)) seenUnready.add(p.metadata.name);
      return now.length === 2 && now.every(ready) ? now : undefined;
    });
    for (const pod of pods) {
      // Running but not Ready while the models loaded: the readiness probe waited for them.
      expect(seenUnready).toContain(pod.metadata.name);
      const readyAt = Date.parse(pod.status.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime);
      expect(readyAt).toBeGreaterThanOrEqual(Math.floor((await lastWarmedUp(pod)) / 1000) * 1000);
    }
    const pool = await json<ModelPool>("get", "modelpool", "studio");
    expect(pool.status?.readyReplicas).toBe(2);
  });

  it("the sample Artworks become Ready and kubectl aria save reads the selected image back", async () => {
    await k("apply", "-f", "samples/03-artwork-sunrise.yaml", "-f", "samples/04-artwork-nocturne.yaml");
    await k("wait", "--for=condition=Ready", "artwork/sunrise", "artwork/nocturne", "--timeout=180s");
    const sunrise = await json<Artwork>("get", "artwork", "sunrise");
    expect(sunrise.status?.selected?.images[0]?.uri).toMatch(new RegExp(`^s3://${BUCKET}/`));

    const dir = await mkdtemp(join(tmpdir(), "aria-node-save-"));
    const saved = await kubectlAria(
      ["save", "sunrise", "-o", join(dir, "sunrise.png"), "--s3-endpoint", s3!.endpoint],
      {
        KUBECONFIG: node!.controlPlane.kubeconfig,
        AWS_ACCESS_KEY_ID: s3!.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3!.secretAccessKey,
      },
    );
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/^saved .*sunrise\.png/);
    const meta = await sharp(join(dir, "sunrise.png")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([
      "png",
      sunrise.status?.width,
      sunrise.status?.height,
    ]);
  });

  it("kubectl scale modelpool adds a worker pod that becomes Ready", async () => {
    await k("scale", "modelpool", "studio", "--replicas=3");
    await until("the third worker did not become Ready", 240_000, async () => {
      const pods = await workerPods();
      return pods.length === 3 && pods.every(ready);
    });
    await until(
      "the pool did not report 3 ready replicas",
      60_000,
      async () => (await json<ModelPool>("get", "modelpool", "studio")).status?.readyReplicas === 3,
    );
  });

  it("a worker pod killed mid-render: the Artwork finishes on another worker", async () => {
    // Large enough to be mid-render for many seconds on this machine's two cores.
    await apply(
      artwork("harbour", {
        prompt: "a long exposure of a harbour at night",
        mood: "serene",
        poolRef: { name: "studio" },
        width: 1024,
        height: 1024,
        steps: 150,
        variations: 8,
      }),
    );
    const first = await until("the Artwork did not start generating", 120_000, async () => {
      const art = await json<Artwork>("get", "artwork", "harbour");
      return art.status?.phase === "Generating" && (art.status.progress?.step ?? 0) > 0
        ? (art.status.worker as string)
        : undefined;
    });
    await k("delete", "pod", first, "--grace-period=1", "--wait=false");
    await k("wait", "--for=condition=Ready", "artwork/harbour", "--timeout=300s");
    const art = await json<Artwork>("get", "artwork", "harbour");
    expect(art.status?.phase).toBe("Succeeded");
    expect(art.status?.worker).not.toBe(first);
    expect(art.status?.attempt).toBeGreaterThan(1);
  });

  it("helm uninstall, after the samples are deleted, leaves nothing of Aria but its CRDs and the images claim", async () => {
    await k("delete", "-f", "samples/", "--wait=true", "--timeout=120s");
    await k("delete", "artwork", "harbour", "--wait=true", "--timeout=60s");
    const uninstall = await helmOnNode(["uninstall", RELEASE, "--wait"]);
    expect(uninstall.code).toBe(0);
    const kinds =
      "deployments,replicasets,pods,services,serviceaccounts,configmaps,roles,rolebindings,poddisruptionbudgets,leases,persistentvolumeclaims";
    const left = await until("Aria's objects did not go", 120_000, async () => {
      const names = [
        ...(await k("get", kinds, "-n", SYSTEM, "-o", "name")).split("\n"),
        ...(await k("get", kinds, "-n", "default", "-o", "name")).split("\n"),
        ...(
          await k(
            "get",
            "clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings",
            "-o",
            "name",
          )
        ).split("\n"),
      ].filter((n) => /aria/.test(n));
      return names.length === 1 ? names : undefined;
    });
    // People's images outlive the release: the claim is kept (helm.sh/resource-policy: keep).
    expect(left).toEqual(["persistentvolumeclaim/aria-images"]);
    expect(await k("get", "crd", "-o", "name")).toMatch(/artworks\.aria\.dev/);
  });

  it("stopping the node leaves no process, mount, interface, iptables chain or cgroup behind", async () => {
    const state = node!;
    node = undefined;
    await stopNodeCluster(state);
    expect(await leftovers()).toEqual([]);
  });
});
