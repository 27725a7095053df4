// A worker image run by podman as the chart runs it, against the local control plane: as uid 65532
// on a read-only root, on the host's network (the API server listens on loopback), with a
// kubeconfig and the namespace's image directory mounted like the chart's volumes.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeconfigYaml } from "../controlplane/control-plane.ts";
import { controlPlane } from "../support/cluster.ts";
import { storageDir } from "../support/processes.ts";

/** The flags this machine's podman needs (design.md: crun fails on the hybrid cgroups). */
export const PODMAN_RUN = [
  "run",
  "--rm",
  "--runtime",
  "runc",
  "--cgroup-manager",
  "cgroupfs",
  "--ulimit",
  "nofile=20000:20000",
  "--ulimit",
  "nproc=4096:4096",
  "--read-only",
  "--network",
  "host",
];

export interface ImageWorker {
  /** The container's name, also the worker's --id. */
  name: string;
  /** stdout and stderr so far. */
  log: () => string;
  exited: () => boolean;
}

/** Starts `tag` as the worker of `pool` in `ns`; remove the container by its name afterwards. */
export async function startImageWorker(tag: string, ns: string, pool: string): Promise<ImageWorker> {
  const cp = controlPlane();
  const dir = await mkdtemp(join(tmpdir(), "aria-image-worker-"));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, kubeconfigYaml(cp.server, await readFile(cp.caCert), cp.tokens.admin, "admin"));
  await chmod(kubeconfig, 0o644);
  await chmod(dir, 0o755);
  // The image directory is shared with the operator like a volume; the container's user writes it.
  const images = storageDir(ns);
  await chmod(images, 0o777);
  const name = `aria-worker-${randomBytes(4).toString("hex")}`;
  const child = spawn("podman", [
    ...PODMAN_RUN,
    "--name",
    name,
    "-v",
    `${kubeconfig}:/var/run/aria/kubeconfig:ro`,
    "-v",
    `${images}:/images`,
    "-e",
    "KUBECONFIG=/var/run/aria/kubeconfig",
    tag,
    ...["--pool", pool, "--namespace", ns, "--id", name, "--port", "0", "--secure-port", "0"],
    ...["--bind-address", "127.0.0.1", "--storage-dir", "/images", "--min-free-mb", "1"],
  ]);
  let log = "";
  child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
  return { name, log: () => log, exited: () => child.exitCode !== null };
}
