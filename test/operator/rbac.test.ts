// The RBAC and admission policies the chart installs, on the real API server: each ServiceAccount
// can do what its process needs and no more (kubectl auth can-i --as), forged writes with real pod
// identities (ServiceAccount tokens bound to Pod objects) are denied with a clear message, and an
// operator and a worker running as those ServiceAccounts render an Artwork end to end.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubernetesObject,
  type V1Lease,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTWORK, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { POOL_LABEL, workerLeaseName } from "../../crds/worker-protocol.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import { statusCode, statusMessage } from "../../lib/kube/kube-errors.ts";
import {
  aria,
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  QUICK,
} from "../support/artworks.ts";
import { controlPlane, createNamespace, kubeConfig, kubectl, servingTls } from "../support/cluster.ts";
import { chartValues, helmTemplate } from "../support/helm.ts";
import { openStream } from "../support/https.ts";
import { podIdentity, unboundToken, type PodIdentity } from "../support/pod-identity.ts";
import { startOperator, startWorker, stopAll, type Proc } from "../support/processes.ts";
import { leaseHolder, waitFor, waitForWorkerReady } from "../support/waits.ts";

/** Where the chart is installed: the operator's ServiceAccount and election Lease live here. */
let release: string;
/** Workers' namespace for forged writes, set up by hand as the operator would. */
let workers: string;
let other: string;
let manifest: string;

const W1 = "aria-worker-studio-6d4cf56db6-x2x9z";
const W2 = "aria-worker-studio-6d4cf56db6-q7k4m";
let w1: PodIdentity;
let w2: PodIdentity;
let operator: PodIdentity;

const core = () => kubeConfig().makeApiClient(CoreV1Api);

beforeAll(async () => {
  release = await createNamespace("rbac");
  workers = await createNamespace("rbac-workers");
  other = await createNamespace("rbac-other");
  // What the chart grants and enforces; its Deployment, Service and storage are chart.test.ts's.
  manifest = await helmTemplate({
    namespace: release,
    showOnly: ["templates/rbac-*.yaml", "templates/policy-*.yaml"],
  });
  const applied = await kubectl(["apply", "-f", "-"], manifest);
  expect(applied.code, applied.stderr).toBe(0);
  const sa = await kubectl(["create", "serviceaccount", "aria-worker", "-n", workers]);
  expect(sa.code, sa.stderr).toBe(0);
  const binding = await kubectl([
    "create",
    "rolebinding",
    "aria-worker",
    "-n",
    workers,
    "--clusterrole=aria-worker",
    `--serviceaccount=${workers}:aria-worker`,
  ]);
  expect(binding.code, binding.stderr).toBe(0);
  [w1, w2, operator] = await Promise.all([
    podIdentity(workers, "aria-worker", W1),
    podIdentity(workers, "aria-worker", W2),
    podIdentity(release, "aria-operator", "aria-operator-7f9c8d6b5-k2j4h"),
  ]);
});

afterAll(async () => {
  await stopAll();
  // The policies and cluster roles are cluster-wide: leave the shared API server as it was.
  await kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", "-"], manifest);
});

async function can(who: string, verb: string, resource: string, namespace: string, name?: string) {
  const [type, subresource] = resource.split("/");
  const r = await kubectl([
    "auth",
    "can-i",
    verb,
    name ? `${type}/${name}` : type!,
    ...(subresource ? [`--subresource=${subresource}`] : []),
    "-n",
    namespace,
    `--as=${who}`,
  ]);
  return r.stdout.trim() === "yes";
}

const operatorSA = () => `system:serviceaccount:${release}:aria-operator`;
const workerSA = () => `system:serviceaccount:${workers}:aria-worker`;

/** The API server's answer to a write: undefined when accepted, else its code and message. */
async function refusal(write: Promise<unknown>) {
  try {
    await write;
    return undefined;
  } catch (err) {
    return { code: statusCode(err), message: statusMessage(err) };
  }
}

/** The log lines of a process that tell of a request the API server refused (403), shortened. */
function refusals(proc: Proc) {
  return proc
    .output()
    .split("\n")
    .filter((line) => /forbidden/i.test(line))
    .map((line) => line.slice(0, 400));
}

async function boundArtwork(name: string, worker: string) {
  await createArtwork(workers, name, { poolRef: { name: "studio" } });
  await aria().patchStatus(ARTWORK, workers, name, { worker, attempt: 1, phase: "Scheduled" });
}

function heartbeatLease(pool: string, worker: string, holder = worker): V1Lease {
  return {
    metadata: { name: workerLeaseName(pool, worker), labels: { [POOL_LABEL]: pool } },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15 },
  };
}

describe("RBAC", () => {
  it("lets a worker read pools and Artworks and write only Artwork status, Leases and Events", async () => {
    const can_ = (verb: string, resource: string, namespace = workers) =>
      can(workerSA(), verb, resource, namespace);
    expect(await can_("get", "modelpools.aria.dev")).toBe(true);
    expect(await can_("watch", "artworks.aria.dev")).toBe(true);
    expect(await can_("patch", "artworks.aria.dev/status")).toBe(true);
    expect(await can_("create", "leases.coordination.k8s.io")).toBe(true);
    expect(await can_("create", "events")).toBe(true);
    expect(await can_("patch", "artworks.aria.dev")).toBe(false);
    expect(await can_("delete", "artworks.aria.dev")).toBe(false);
    expect(await can_("patch", "modelpools.aria.dev")).toBe(false);
    expect(await can_("patch", "learningstates.aria.dev/status")).toBe(false);
    expect(await can_("get", "secrets")).toBe(false);
    expect(await can_("patch", "artworks.aria.dev/status", other)).toBe(false);
    expect(await can_("update", "leases.coordination.k8s.io", "kube-system")).toBe(false);
    // The reviews that check preview stream callers are cluster-scoped: granted by the
    // ClusterRoleBinding the operator makes per pool namespace (end to end below), not by the
    // namespace's RoleBinding.
    expect(await can_("create", "tokenreviews.authentication.k8s.io")).toBe(false);
  });

  it("gives the operator what it reconciles, and Leases only by name in the release namespace", async () => {
    const can_ = (verb: string, resource: string, namespace = other, name?: string) =>
      can(operatorSA(), verb, resource, namespace, name);
    for (const [verb, resource] of [
      ["patch", "artworks.aria.dev"],
      ["patch", "artworks.aria.dev/status"],
      ["watch", "modelpools.aria.dev"],
      ["create", "deployments.apps"],
      ["patch", "deployments.apps"],
      ["watch", "deployments.apps"],
      ["patch", "services"],
      ["patch", "configmaps"],
      ["patch", "poddisruptionbudgets.policy"],
      ["watch", "leases.coordination.k8s.io"],
      ["create", "tokenreviews.authentication.k8s.io"],
      ["create", "subjectaccessreviews.authorization.k8s.io"],
      ["create", "clusterrolebindings.rbac.authorization.k8s.io"],
      ["get", "namespaces"],
    ]) {
      expect(await can_(verb!, resource!), `${verb} ${resource}`).toBe(true);
    }
    expect(await can_("create", "leases.coordination.k8s.io", release)).toBe(true);
    expect(await can_("update", "leases.coordination.k8s.io", release, "aria-operator")).toBe(true);
    for (const [verb, resource, namespace, name] of [
      ["update", "leases.coordination.k8s.io", release, "some-other-lease"],
      ["update", "leases.coordination.k8s.io", "kube-system", "kube-controller-manager"],
      ["create", "leases.coordination.k8s.io", "kube-system"],
      ["delete", "leases.coordination.k8s.io", release, "aria-operator"],
      ["create", "leases.coordination.k8s.io", other],
      ["get", "deployments.apps"],
      ["delete", "deployments.apps"],
      ["update", "deployments.apps"],
      ["get", "configmaps"],
      ["delete", "services"],
      ["get", "serviceaccounts"],
      ["delete", "artworks.aria.dev"],
      ["create", "artworks.aria.dev"],
      ["list", "namespaces"],
      ["get", "secrets"],
      ["create", "pods"],
    ] as const) {
      expect(await can_(verb, resource, namespace, name), `${verb} ${resource} in ${namespace}`).toBe(false);
    }
  });
});

describe("admission policies against forged writes", () => {
  it("accepts a worker's status writes only for Artworks bound to its pod", async () => {
    await boundArtwork("mine", W1);
    await boundArtwork("theirs", W2);
    const asW1 = new CustomObjectClient(w1.kc);

    expect(
      await refusal(asW1.patchStatus(ARTWORK, workers, "mine", { message: "w1 at work" })),
    ).toBeUndefined();
    const denied = await refusal(asW1.patchStatus(ARTWORK, workers, "theirs", { phase: "Failed" }));
    expect(denied?.code).toBe(403);
    expect(denied?.message).toContain(
      `status.worker: worker ${W1} may write the status only of Artworks bound to it; theirs is bound to ${W2}`,
    );
    expect((await getArtwork(workers, "theirs")).status?.phase).toBe("Scheduled");

    // It may hand its own Artwork back, but not pass it to another worker.
    const rebind = await refusal(asW1.patchStatus(ARTWORK, workers, "mine", { worker: W2 }));
    expect(rebind?.code).toBe(403);
    expect(rebind?.message).toContain(`may hand mine back (no worker) but not bind it to ${W2}`);
    expect(await refusal(asW1.patchStatus(ARTWORK, workers, "mine", { worker: null }))).toBeUndefined();
    expect((await getArtwork(workers, "mine")).status?.worker).toBeUndefined();

    // A token of the worker ServiceAccount that names no pod names no worker: it writes nothing.
    const noPod = new CustomObjectClient(await unboundToken(workers, "aria-worker"));
    const anonymous = await refusal(noPod.patchStatus(ARTWORK, workers, "theirs", { phase: "Failed" }));
    expect(anonymous?.code).toBe(403);
    expect(anonymous?.message).toContain("authentication.kubernetes.io/pod-name");
  });

  it("lets a worker write only its own heartbeat Lease", async () => {
    const leases = (id: PodIdentity) => id.kc.makeApiClient(CoordinationV1Api);
    const own = await refusal(
      leases(w2).createNamespacedLease({ namespace: workers, body: heartbeatLease("studio", W2) }),
    );
    expect(own).toBeUndefined();
    const name = workerLeaseName("studio", W2);
    const theirs = await leases(w1).readNamespacedLease({ name, namespace: workers });

    theirs.spec = { ...theirs.spec, holderIdentity: W1 };
    const takeover = await refusal(
      leases(w1).replaceNamespacedLease({ name, namespace: workers, body: theirs }),
    );
    expect(takeover?.code).toBe(403);
    expect(takeover?.message).toContain(
      `worker ${W1} may write only its own Lease; ${name} is held by ${W2}`,
    );

    const removal = await refusal(leases(w1).deleteNamespacedLease({ name, namespace: workers }));
    expect(removal?.code).toBe(403);
    expect(removal?.message).toContain(`is held by ${W2}`);

    // Nor may it make Leases in another's name, or any other Lease of the namespace.
    for (const body of [
      heartbeatLease("studio", "aria-worker-studio-6d4cf56db6-zzzzz"),
      heartbeatLease("studio", W1, W2),
      { metadata: { name: "aria-operator" }, spec: { holderIdentity: W1 } },
    ]) {
      const forged = await refusal(leases(w1).createNamespacedLease({ namespace: workers, body }));
      expect(forged?.code, body.metadata?.name).toBe(403);
      expect(forged?.message).toContain(`worker ${W1} may write only the Lease aria-worker-<pool>-${W1}`);
    }
    const held = await leases(w2).readNamespacedLease({ name, namespace: workers });
    expect(held.spec?.holderIdentity).toBe(W2);
    expect(
      await refusal(
        leases(w1).createNamespacedLease({ namespace: workers, body: heartbeatLease("studio", W1) }),
      ),
    ).toBeUndefined();
  });

  it("refuses a ModelPool whose spec.image is not on the chart's list, naming the field and the list", async () => {
    const allowed = chartValues().allowedWorkerImages as string[];
    expect(allowed).toEqual(["ghcr.io/aria-dev/"]);
    const denied = await refusal(createPool(other, "miner", { image: "docker.io/attacker/miner:latest" }));
    expect(denied?.code).toBe(403);
    expect(denied?.message).toContain(
      'spec.image: "docker.io/attacker/miner:latest" is not an allowed worker image; allowed: ghcr.io/aria-dev/',
    );
    // A look-alike registry is not under the prefix.
    expect(
      (await refusal(createPool(other, "lookalike", { image: "ghcr.io/aria-dev-evil/aria:1" })))?.code,
    ).toBe(403);
    expect(
      await refusal(createPool(other, "custom", { image: "ghcr.io/aria-dev/aria-cuda:0.1.0" })),
    ).toBeUndefined();
    expect(await refusal(createPool(other, "default"))).toBeUndefined();
    // Changing an allowed image to another one is checked too.
    const change = await refusal(
      aria().api.patchNamespacedCustomObject(
        {
          group: MODEL_POOL.group,
          version: MODEL_POOL.version,
          plural: MODEL_POOL.plural,
          namespace: other,
          name: "custom",
          body: [{ op: "replace", path: "/spec/image", value: "quay.io/else/aria:1" }],
        },
        setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
      ),
    );
    expect(change?.code).toBe(403);
  });

  it("keeps the operator to its own worker objects and its own Lease", async () => {
    const asOperator = operator.kc.makeApiClient(CoreV1Api);
    const coordination = operator.kc.makeApiClient(CoordinationV1Api);

    // The API server's own identity Leases live in kube-system.
    const system = await kubeConfig()
      .makeApiClient(CoordinationV1Api)
      .listNamespacedLease({ namespace: "kube-system" });
    const target = system.items[0];
    expect(target, "a Lease in kube-system").toBeDefined();
    const hijack = await refusal(
      coordination.replaceNamespacedLease({
        name: target!.metadata!.name!,
        namespace: "kube-system",
        body: { ...target!, spec: { ...target!.spec, holderIdentity: "aria-operator" } },
      }),
    );
    expect(hijack?.code).toBe(403);
    expect(
      (
        await refusal(
          coordination.deleteNamespacedLease({ name: target!.metadata!.name!, namespace: "kube-system" }),
        )
      )?.code,
    ).toBe(403);

    // Not another's object, even one it could name, and not by relabelling it as its own.
    await core().createNamespacedConfigMap({
      namespace: other,
      body: { metadata: { name: "aria-worker-settings" }, data: { owner: "someone else" } },
    });
    // Server-side apply, as the operator writes its worker objects.
    const adopt = await refusal(
      KubernetesObjectApi.makeApiClient(operator.kc).patch(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: "aria-worker-settings",
            namespace: other,
            labels: { "app.kubernetes.io/managed-by": "aria-operator" },
          },
          data: { owner: "aria" },
        } as KubernetesObject,
        undefined,
        undefined,
        "aria-operator",
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
    expect(adopt?.code).toBe(403);
    expect(adopt?.message).toContain(
      `aria-operator may write only worker objects it manages (named aria-worker..., labelled app.kubernetes.io/managed-by=aria-operator); configmaps ${other}/aria-worker-settings is not one`,
    );
    const unlabelled = await refusal(
      asOperator.createNamespacedService({
        namespace: "kube-system",
        body: { metadata: { name: "aria-worker-x" }, spec: { ports: [{ port: 80 }] } },
      }),
    );
    expect(unlabelled?.code).toBe(403);

    // Its own label does not let it run pods as another ServiceAccount or on the host.
    const apps = operator.kc.makeApiClient(AppsV1Api);
    const labels = { "app.kubernetes.io/managed-by": "aria-operator", app: "escalate" };
    const escalate = await refusal(
      apps.createNamespacedDeployment({
        namespace: other,
        body: {
          metadata: { name: "aria-worker-escalate", labels },
          spec: {
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: "default",
                containers: [{ name: "main", image: "ghcr.io/aria-dev/aria:0.1.0" }],
                volumes: [{ name: "host", hostPath: { path: "/" } }],
              },
            },
          },
        },
      }),
    );
    expect(escalate?.code).toBe(403);
    expect(escalate?.message).toContain(
      `spec.template.spec: the pods of the aria-operator Deployment ${other}/aria-worker-escalate must run as aria-worker`,
    );

    // Cluster-wide it binds workers to the token and access reviews only, never to more.
    const rbac = operator.kc.makeApiClient(RbacAuthorizationV1Api);
    const clusterBinding = (name: string, role: string) => ({
      metadata: { name, labels: { "app.kubernetes.io/managed-by": "aria-operator" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: "aria-worker", namespace: other }],
    });
    const widen = await refusal(
      rbac.createClusterRoleBinding({
        body: clusterBinding(`aria-worker-everywhere-${other}`, "aria-worker"),
      }),
    );
    expect(widen?.code).toBe(403);
    expect(widen?.message).toContain(
      `aria-operator may bind only the ClusterRole aria-worker-reviews cluster-wide; clusterrolebinding aria-worker-everywhere-${other} binds aria-worker`,
    );
    const reviews = `aria-worker-reviews-${other}`;
    expect(
      await refusal(rbac.createClusterRoleBinding({ body: clusterBinding(reviews, "aria-worker-reviews") })),
    ).toBeUndefined();
    expect(
      await can(
        `system:serviceaccount:${other}:aria-worker`,
        "create",
        "tokenreviews.authentication.k8s.io",
        other,
      ),
    ).toBe(true);
    await kubeConfig().makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: reviews });
  });
});

describe("the operator and a worker running as their ServiceAccounts", () => {
  it("render an Artwork end to end under the chart's RBAC and admission policies", async () => {
    const pools = await createNamespace("rbac-pools");
    const op = startOperator(pools, {
      identity: operator.pod,
      args: ["--leader-election-namespace", release],
      env: { KUBECONFIG: operator.kubeconfig },
    });
    await waitFor(
      `operator leads on Lease ${release}/aria-operator`,
      () => leaseHolder(kubeConfig(), release, "aria-operator"),
      (holder) => holder === operator.pod,
      { timeoutMs: 60_000, proc: op },
    );
    await createPool(pools, "studio", { replicas: 1 });
    // The operator made the pool's worker objects, its ServiceAccount included, with its own rights.
    await waitFor(
      "the worker ServiceAccount the operator creates",
      () => core().readNamespacedServiceAccount({ name: "aria-worker", namespace: pools }),
      (sa) => sa.metadata?.name === "aria-worker",
      { timeoutMs: 60_000, proc: op },
    );

    const pod = await podIdentity(pools, "aria-worker", "aria-worker-studio-5b7d9c8f4-r8t2w");
    const worker = startWorker(pools, "studio", pod.pod, [], { KUBECONFIG: pod.kubeconfig });
    await waitForWorkerReady(worker);
    // The worker checks preview callers with its own rights (the operator's ClusterRoleBinding).
    const tls = { ca: servingTls().ca };
    const refused = await openStream(worker, pools, "portrait", {
      ...tls,
      token: controlPlane().tokens.alice,
    }).catch((err: { status?: number }) => err.status);
    expect(refused).toBe(403);
    const stream = await openStream(worker, pools, "portrait", {
      ...tls,
      token: controlPlane().tokens.admin,
    });
    await createArtwork(pools, "portrait", { ...QUICK, poolRef: { name: "studio" } });
    const done = await eventually<Artwork>(
      () => getArtwork(pools, "portrait"),
      (a) => isReady(a) || a.status?.phase === "Failed",
      120_000,
    );
    expect(done.status?.phase, JSON.stringify(done.status?.conditions)).toBe("Succeeded");
    expect(done.status?.worker).toBe(pod.pod);
    await stream.closed;
    expect(stream.messages.at(-1)?.meta.type).toBe("final");
    // Nothing either process did was refused: no write (an Event, a status) lost to missing rights.
    expect(refusals(op)).toEqual([]);
    expect(refusals(worker)).toEqual([]);
  });
});
