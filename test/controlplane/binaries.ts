import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubectl: string;
}

const script = fileURLToPath(new URL("./build-binaries.sh", import.meta.url));

/**
 * Builds etcd, kube-apiserver and kubectl once (cached outside git) and returns their paths.
 * The build script prints its progress on stderr, which is passed through.
 */
export async function ensureBinaries(): Promise<ControlPlaneBinaries> {
  const dir = await new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(out.trim().split("\n").pop() ?? "");
      else
        reject(new Error(`building the control-plane binaries failed (exit ${code}); see the output above`));
    });
  });
  return { dir, etcd: `${dir}/etcd`, kubeApiserver: `${dir}/kube-apiserver`, kubectl: `${dir}/kubectl` };
}
