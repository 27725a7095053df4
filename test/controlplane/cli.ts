// npm run cluster:up / cluster:down: a detached local control plane whose kubeconfig is .aria/kubeconfig.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { startControlPlane, stopControlPlane, type ControlPlaneState } from "./control-plane.ts";

const root = resolve(import.meta.dirname, "../..");
const stateDir = resolve(root, ".aria");
const stateFile = resolve(stateDir, "cluster.json");
const kubeconfig = resolve(stateDir, "kubeconfig");

async function readState(): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile, "utf8")) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

function running(state: ControlPlaneState) {
  return state.pids.every((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

async function up() {
  const existing = await readState();
  if (existing && running(existing)) {
    console.log(`aria: the local control plane is already running at ${existing.server}`);
    printUsage(existing);
    return;
  }
  if (existing) await stopControlPlane(existing);
  await mkdir(stateDir, { recursive: true });
  const state = await startControlPlane({ dataDir: resolve(stateDir, "cluster"), detached: true });
  await copyFile(state.kubeconfig, kubeconfig);
  await writeFile(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 });
  printUsage(state);
}

function printUsage(state: ControlPlaneState) {
  console.log(`aria: the local control plane is up.
  export KUBECONFIG=${kubeconfig}
  export PATH=${state.binDir}:$PATH   # kubectl matching this apiserver
  kubectl apply -f samples/ && kubectl get art
Stop it with: npm run cluster:down`);
}

async function down() {
  const state = await readState();
  if (!state) {
    console.log("aria: no local control plane is running");
    return;
  }
  await stopControlPlane(state);
  await rm(stateFile, { force: true });
  await rm(kubeconfig, { force: true });
  console.log("aria: the local control plane is stopped and its data removed");
}

const command = process.argv[2];
if (command === "up") await up();
else if (command === "down") await down();
else {
  console.error("usage: tsx test/controlplane/cli.ts up|down");
  process.exit(2);
}
