// A ModelPool becomes a worker Deployment, Service, PodDisruptionBudget and ConfigMap, all owned
// by the pool; a spec change rolls the Deployment.
import { AppsV1Api, CoreV1Api, PolicyV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_POOL } from "../../crds/api.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { aria, createPool, eventually } from "../support/artworks.ts";
import { createNamespace, kubeConfig, kubectl } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll } from "../support/processes.ts";
import { httpGet, waitForWorkerReady, waitForWorkerReport } from "../support/waits.ts";

let ns: string;
const apps = () => kubeConfig().makeApiClient(AppsV1Api);
const readDeployment = () => apps().readNamespacedDeployment({ name: "aria-worker-gallery", namespace: ns });

beforeAll(async () => {
  ns = await createNamespace("pool");
  startOperator(ns, { args: ["--worker-image", "registry.example/aria:test"] });
});
afterAll(stopAll);

describe("ModelPool", () => {
  it("creates the worker Deployment, Service, PDB and ConfigMap with owner references", async () => {
    const pool = await createPool(ns, "gallery", {
      replicas: 3,
      nodeSelector: { "aria.dev/gpu": "none" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "art", effect: "NoSchedule" }],
      resources: { requests: { cpu: "500m", memory: "1Gi" } },
    });
    const d = await eventually(
      () => readDeployment().catch(() => undefined),
      (x) => x !== undefined,
      30_000,
    );
    expect(d?.spec?.replicas).toBe(3);
    const c = d?.spec?.template.spec?.containers[0];
    expect(c?.image).toBe("registry.example/aria:test");
    expect(c?.args).toEqual(expect.arrayContaining(["--pool", "gallery", "--namespace", ns]));
    expect(c?.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(c?.resources?.requests).toEqual({ cpu: "500m", memory: "1Gi" });
    expect(d?.spec?.template.spec?.nodeSelector).toEqual({ "aria.dev/gpu": "none" });
    expect(d?.spec?.template.spec?.tolerations?.[0]).toMatchObject({ key: "dedicated", value: "art" });

    const owner = {
      kind: "ModelPool",
      name: "gallery",
      uid: pool.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    expect(d?.metadata?.ownerReferences).toEqual([expect.objectContaining(owner)]);
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ name: "aria-worker-gallery", namespace: ns });
    expect(svc.metadata?.ownerReferences).toEqual([expect.objectContaining(owner)]);
    expect(svc.spec?.selector).toEqual({ "aria.dev/pool": "gallery" });
    const pdb = await kubeConfig()
      .makeApiClient(PolicyV1Api)
      .readNamespacedPodDisruptionBudget({ name: "aria-worker-gallery", namespace: ns });
    expect(pdb.metadata?.ownerReferences).toEqual([expect.objectContaining(owner)]);
    const cm = await core.readNamespacedConfigMap({ name: "aria-worker-gallery-models", namespace: ns });
    expect(JSON.parse(cm.data?.["models.json"] ?? "[]").map((m: { name: string }) => m.name)).toEqual([
      "aria-painter",
      "aria-clip",
      "aria-aesthetic",
    ]);
  });

  it("rolls the Deployment when the spec changes, and kubectl scale reaches it", async () => {
    const before = (await readDeployment()).spec?.template.metadata?.annotations?.["aria.dev/spec-hash"];
    await aria().api.patchNamespacedCustomObject(
      {
        group: "aria.dev",
        version: "v1alpha1",
        plural: "modelpools",
        namespace: ns,
        name: "gallery",
        body: [{ op: "replace", path: "/spec/concurrency", value: 2 }],
      },
      (await import("@kubernetes/client-node")).setHeaderOptions(
        "Content-Type",
        "application/json-patch+json",
      ),
    );
    const rolled = await eventually(
      readDeployment,
      (d) => d.spec?.template.metadata?.annotations?.["aria.dev/spec-hash"] !== before,
      30_000,
    );
    expect(rolled.spec?.template.metadata?.annotations?.["aria.dev/spec-hash"]).not.toBe(before);

    const scaled = await kubectl(["scale", "modelpool", "gallery", "-n", ns, "--replicas=1"]);
    expect(scaled.code).toBe(0);
    await eventually(readDeployment, (d) => d.spec?.replicas === 1, 30_000);
  });

  it("reports warm workers in status with a selector for the scale subresource", async () => {
    const worker = startWorker(ns, "gallery", "g1");
    await waitForWorkerReady(worker);
    const pool = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "gallery"),
      (p) => p.status?.readyReplicas === 1,
      30_000,
    );
    expect(pool.status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      selector: "aria.dev/pool=gallery",
      observedGeneration: pool.metadata.generation,
    });
    expect(pool.status?.models?.map((m) => m.state)).toEqual(["Ready", "Ready", "Ready"]);
    expect(pool.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const scale = await kubectl([
      "get",
      "--raw",
      `/apis/aria.dev/v1alpha1/namespaces/${ns}/modelpools/gallery/scale`,
    ]);
    expect(JSON.parse(scale.stdout).status).toMatchObject({ replicas: 1, selector: "aria.dev/pool=gallery" });

    await worker.kill("SIGKILL");
    const gone = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "gallery"),
      (p) => p.status?.readyReplicas === 0,
      30_000,
    );
    expect(gone.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
  });

  it("reports a model that cannot be loaded on the pool, while the worker stays up and not ready", async () => {
    await createPool(ns, "broken", {
      replicas: 1,
      models: [
        { name: "ghost", role: "generator", source: { path: "/nonexistent/ghost-model" } },
        { name: "aria-clip", role: "clip", source: { builtin: "aria-clip" } },
      ],
    });
    const worker = startWorker(ns, "broken", "b1");
    // What the worker tells the operator once it has given up loading: not ready, and why.
    const report = await waitForWorkerReport(worker, (r) => r.reason === "ModelLoadFailed");
    expect(report.ready).toBe(false);
    expect(report.message).toContain("ghost");
    const pool = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "broken"),
      (p) => p.status?.conditions?.some((c) => c.type === "Degraded" && c.status === "True") ?? false,
      30_000,
    );
    expect(pool.status?.readyReplicas).toBe(0);
    expect(pool.status?.models?.find((m) => m.name === "ghost")).toMatchObject({ state: "Failed" });
    expect(pool.status?.conditions?.find((c) => c.type === "Degraded")?.message).toContain("ghost");
    const readyz = await httpGet(worker, "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain("ModelLoadFailed");
    expect(worker.child.exitCode).toBeNull();
  });

  it("says on the pool why Kubernetes rejects its worker objects, and recovers once the spec is fixed", async () => {
    // The CRD cannot know every rule a pod template must follow; a node selector key is one.
    await createPool(ns, "misfit", { replicas: 1, nodeSelector: { "not a label key": "x" } });
    const degraded = (p: ModelPool) => p.status?.conditions?.find((c) => c.type === "Degraded");
    const pool = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "misfit"),
      (p) => degraded(p)?.status === "True",
      30_000,
    );
    expect(degraded(pool)).toMatchObject({ reason: "WorkerObjectsRejected" });
    expect(degraded(pool)?.message).toContain('Deployment.apps "aria-worker-misfit" is invalid');
    expect(degraded(pool)?.message).toContain("spec.template.spec.nodeSelector");
    const events = await kubectl([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      "involvedObject.name=misfit",
    ]);
    expect(events.stdout).toContain("WorkerObjectsRejected");

    const fixed = await kubectl([
      "patch",
      "mp",
      "misfit",
      "-n",
      ns,
      "--type=json",
      "-p",
      '[{"op":"remove","path":"/spec/nodeSelector"}]',
    ]);
    expect(fixed.code).toBe(0);
    const healed = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "misfit"),
      (p) => degraded(p)?.status === "False",
      30_000,
    );
    expect(degraded(healed)?.reason).toBe("AsExpected");
    const d = await apps().readNamespacedDeployment({ name: "aria-worker-misfit", namespace: ns });
    expect(d.spec?.template.spec?.nodeSelector).toBeUndefined();
  });
});
