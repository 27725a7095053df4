// What integration tests use to reach the shared local control plane.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  type RbacV1Subject,
  type V1PolicyRule,
} from "@kubernetes/client-node";
import { inject } from "vitest";
import { PooledKubeConfig } from "../../lib/kube/pooled-kube-config.ts";
import {
  kubeconfigYaml,
  servingTlsOf,
  type ControlPlaneState,
  type LocalUser,
} from "../controlplane/control-plane.ts";
import { readFileSync } from "node:fs";

let own: ControlPlaneState | undefined;

/**
 * Points every helper of this test file at a control plane of its own: for a fault test that
 * stops or kills its API server, which must not take the shared one from the other test files.
 */
export function useControlPlane(state: ControlPlaneState) {
  own = state;
  kubeConfigs.clear();
}

export function controlPlane(): ControlPlaneState {
  return own ?? inject("controlPlane");
}

const kubeConfigs = new Map<LocalUser, KubeConfig>();

/** One client configuration per user and test file, keeping its connections alive as kubectl does. */
export function kubeConfig(user: LocalUser = "admin") {
  let kc = kubeConfigs.get(user);
  if (!kc) {
    const cp = controlPlane();
    kc = new PooledKubeConfig();
    kc.loadFromString(kubeconfigYaml(cp.server, readFileSync(cp.caCert), cp.tokens[user], user));
    kubeConfigs.set(user, kc);
  }
  return kc;
}

/**
 * The certificate the operator's and workers' HTTPS ports serve in tests: the control plane's
 * loopback serving certificate (127.0.0.1, localhost), so clients trust it through the local CA.
 */
export function servingTls() {
  return servingTlsOf(controlPlane());
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the kubectl built for this apiserver against the local control plane. */
export function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  const cp = controlPlane();
  return new Promise((resolve) => {
    const child = execFile(
      cp.kubectl,
      args,
      { env: { ...process.env, KUBECONFIG: cp.kubeconfig }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A fresh namespace per test file keeps tests independent on one shared apiserver. */
export async function createNamespace(prefix: string) {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name } } });
  return name;
}

/** A Role named `role` in `namespace` with `rules`, bound to `subject` (RoleBinding `<role>-<name>`). */
export async function grant(namespace: string, role: string, rules: V1PolicyRule[], subject: RbacV1Subject) {
  const rbac = kubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({ namespace, body: { metadata: { name: role }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: `${role}-${subject.name}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
      subjects: [subject],
    },
  });
}

/** A user the local control plane's token file knows, as an RBAC subject. */
export const user = (name: string): RbacV1Subject => ({
  kind: "User",
  name,
  apiGroup: "rbac.authorization.k8s.io",
});

export function customObjects(user: LocalUser = "admin") {
  return kubeConfig(user).makeApiClient(CustomObjectsApi);
}

export async function writeKubeconfig(dir: string, user: LocalUser) {
  const cp = controlPlane();
  const path = join(dir, `kubeconfig-${user}`);
  await writeFile(path, kubeconfigYaml(cp.server, readFileSync(cp.caCert), cp.tokens[user], user));
  return path;
}
