// A pod's real identity on the local control plane: a Pod object (no kubelet runs it) and a
// ServiceAccount token bound to it by the TokenRequest API, exactly what a kubelet projects into a
// pod. The API server then authenticates its requests as the ServiceAccount with the pod's name in
// userInfo.extra (authentication.kubernetes.io/pod-name), which admission policies can check.
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { kubeconfigYaml } from "../controlplane/control-plane.ts";
import { controlPlane, kubeConfig } from "./cluster.ts";

export interface PodIdentity {
  pod: string;
  token: string;
  /** A kubeconfig file that authenticates as the pod, for processes and kubectl. */
  kubeconfig: string;
  kc: KubeConfig;
}

function kubeconfigFor(token: string, user: string) {
  const cp = controlPlane();
  return kubeconfigYaml(cp.server, readFileSync(cp.caCert), token, user);
}

/** A token for `serviceAccount` bound to no pod, as a legacy or hand-made token would be. */
export async function unboundToken(namespace: string, serviceAccount: string) {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigFor(request.status?.token ?? "", serviceAccount));
  return kc;
}

/** Creates Pod `pod` running as `serviceAccount` (which must exist) and a token bound to it. */
export async function podIdentity(
  namespace: string,
  serviceAccount: string,
  pod: string,
): Promise<PodIdentity> {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  const created = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: pod, labels: { "app.kubernetes.io/component": "test-identity" } },
      spec: {
        serviceAccountName: serviceAccount,
        containers: [{ name: "main", image: "registry.invalid/none" }],
      },
    },
  });
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3600,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod, uid: created.metadata?.uid },
      },
    },
  });
  const token = request.status?.token ?? "";
  const yaml = kubeconfigFor(token, `${serviceAccount}-${pod}`);
  const dir = await mkdtemp(join(tmpdir(), `aria-identity-${pod}-`));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, yaml, { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromString(yaml);
  return { pod, token, kubeconfig, kc };
}
