// npm run cluster:up / cluster:down: a detached local control plane whose kubeconfig is .aria/kubeconfig;
// `cluster:up -- --node` adds a real node (kubelet, containerd, kube-proxy, ...) with Aria's images.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { buildImages } from "../../images/build.ts";
import { alive, startControlPlane, stopControlPlane, type ControlPlaneState } from "./control-plane.ts";
import { cleanHost, leftovers } from "./node-host.ts";
import { startNodeCluster, stopNodeCluster, type NodeClusterState } from "./node.ts";

const root = resolve(import.meta.dirname, "../..");
const stateDir = resolve(root, ".aria");
const stateFile = resolve(stateDir, "cluster.json");
const kubeconfig = resolve(stateDir, "kubeconfig");

/** What cluster:up started: a control plane alone, or one with a node. */
type State = ControlPlaneState | (NodeClusterState & { node: true });

async function readState(): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, "utf8")) as State;
  } catch {
    return undefined;
  }
}

const controlPlaneOf = (state: State) => ("node" in state ? state.controlPlane : state);
const pidsOf = (state: State) =>
  "node" in state ? [...state.controlPlane.pids, ...Object.values(state.pids)] : state.pids;

async function stop(state: State) {
  if ("node" in state) await stopNodeCluster(state);
  else await stopControlPlane(state);
}

async function up(withNode: boolean) {
  const existing = await readState();
  if (existing && pidsOf(existing).every(alive) && "node" in existing === withNode) {
    console.log(`aria: the local cluster is already running at ${controlPlaneOf(existing).server}`);
    printUsage(controlPlaneOf(existing), withNode);
    return;
  }
  if (existing) await stop(existing);
  await mkdir(stateDir, { recursive: true });
  const state: State = withNode
    ? { ...(await startNodeCluster({ images: await buildImages(), detached: true })), node: true }
    : await startControlPlane({ dataDir: resolve(stateDir, "cluster"), detached: true });
  await copyFile(controlPlaneOf(state).kubeconfig, kubeconfig);
  await writeFile(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  printUsage(controlPlaneOf(state), withNode);
}

function printUsage(state: ControlPlaneState, withNode: boolean) {
  console.log(`aria: the local ${withNode ? "cluster (control plane and node aria-node)" : "control plane"} is up.
  export KUBECONFIG=${kubeconfig}
  export PATH=${state.binDir}:$PATH   # kubectl matching this apiserver
  ${withNode ? "helm install aria charts/aria -n aria-system --create-namespace   # Aria's images are imported" : "kubectl apply -f samples/ && kubectl get art"}
Stop it with: npm run cluster:down`);
}

async function down() {
  const state = await readState();
  if (!state) {
    // A node whose starter crashed leaves host state without a state file.
    const left = await leftovers();
    if (left.length) await cleanHost();
    console.log(
      left.length
        ? `aria: removed what a local node had left (${left.length} processes, mounts, interfaces, chains, cgroups)`
        : "aria: no local control plane is running",
    );
    return;
  }
  await stop(state);
  await rm(stateFile, { force: true });
  await rm(kubeconfig, { force: true });
  console.log("aria: the local control plane is stopped and its data removed");
}

const command = process.argv[2];
if (command === "up") await up(process.argv.includes("--node"));
else if (command === "down") await down();
else {
  console.error("usage: tsx test/controlplane/cli.ts up [--node] | down");
  process.exit(2);
}
