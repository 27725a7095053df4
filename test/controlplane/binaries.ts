import { fileURLToPath } from "node:url";
import { runCacheScript } from "../support/cache-script.ts";

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

const script = fileURLToPath(new URL("./build-binaries.sh", import.meta.url));

/** Builds etcd, kube-apiserver and kubectl once (cached outside git) and returns their paths. */
export async function ensureBinaries(): Promise<ControlPlaneBinaries> {
  const dir = await runCacheScript(script, "building the control-plane binaries");
  return { dir, etcd: `${dir}/etcd`, kubeApiserver: `${dir}/kube-apiserver`, kubectl: `${dir}/kubectl` };
}
