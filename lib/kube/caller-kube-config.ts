// A client configuration that acts as the caller: the process's cluster (server, CA) with the
// caller's bearer token, so the API server authorizes and audits a write as theirs, as Kubernetes
// Dashboard and Headlamp do, and the process needs no right to do it on its own behalf.
import { KubeConfig } from "@kubernetes/client-node";

export function callerKubeConfig(own: KubeConfig, token: string): KubeConfig {
  const cluster = own.getCurrentCluster();
  if (!cluster) throw new Error("the operator's kubeconfig names no cluster");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: "caller", token }],
    contexts: [{ name: "caller", cluster: cluster.name, user: "caller" }],
    currentContext: "caller",
  });
  return kc;
}
