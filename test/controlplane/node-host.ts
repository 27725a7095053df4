// What a local node changes on this machine, in one place: the interface the API server listens on
// for pods, the pod bridge, containerd's and the kubelet's directories and mounts, kube-proxy's and
// the kubelet's iptables chains, the runc containers. `cleanHost` undoes all of it, even after a
// crash, and `leftovers` lists what is still there.
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The node's name; the kubelet's identity is system:node:<NODE_NAME>. */
export const NODE_NAME = "aria-node";
/** An interface of the fixture's own with the address pods reach the API server (and kubelet) at. */
export const API_INTERFACE = "aria-api0";
export const API_ADDRESS = "10.245.255.1";
export const API_PORT = 6443;
/** The pods' bridge and range (away from podman's 10.88.0.0/16). */
export const POD_BRIDGE = "aria-cni0";
export const POD_CIDR = "10.244.0.0/24";
export const SERVICE_CIDR = "10.96.0.0/24";
export const SERVICE_IP = "10.96.0.1";
/** Persistent and runtime state of containerd and the kubelet: fixed paths, one node per machine. */
export const NODE_LIB = "/var/lib/aria-node";
export const NODE_RUN = "/run/aria-node";
export const CONTAINERD_SOCKET = `${NODE_RUN}/containerd.sock`;
/** runc's state of the node's containers (containerd's default would be shared with any other). */
export const RUNC_ROOT = `${NODE_RUN}/runc`;
const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

const ok = <T>(p: Promise<T>) =>
  p.then(
    (v) => v,
    () => undefined,
  );

/** The bridge with the API address; returns ip_forward's value before the pod bridge changes it. */
export async function prepareHostNetwork(): Promise<string> {
  const forward = (await readFile(IP_FORWARD, "utf8")).trim();
  await ok(run("ip", ["link", "del", API_INTERFACE]));
  // A bridge rather than a dummy: this kernel has no dummy driver. Its address is local to the
  // machine, so pods reach it through their bridge's gateway without leaving the machine.
  await run("ip", ["link", "add", API_INTERFACE, "type", "bridge"]);
  await run("ip", ["addr", "add", `${API_ADDRESS}/32`, "dev", API_INTERFACE]);
  await run("ip", ["link", "set", API_INTERFACE, "up"]);
  return forward;
}

async function mountsUnder(prefixes: string[]): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => prefixes.some((p) => point === p || point.startsWith(`${p}/`)));
}

/** Chains named KUBE-* (kube-proxy's, the kubelet's) in each table of iptables and ip6tables. */
async function kubeChains(): Promise<{ tool: string; table: string; chain: string }[]> {
  const found = [];
  for (const tool of ["iptables", "ip6tables"])
    for (const table of ["filter", "nat", "mangle"]) {
      const out = await ok(run(tool, ["-w", "-t", table, "-S"]));
      for (const line of out?.stdout.split("\n") ?? []) {
        const chain = /^-N (KUBE-\S+)/.exec(line)?.[1];
        if (chain) found.push({ tool, table, chain });
      }
    }
  return found;
}

/**
 * Each table without its KUBE- chains and every rule that names one, restored in one step with
 * iptables-restore, as kube-proxy itself writes its rules.
 */
async function deleteKubeChains() {
  for (const tool of ["iptables", "ip6tables"])
    for (const table of ["filter", "nat", "mangle"]) {
      const saved = (await ok(run(`${tool}-save`, ["-t", table])))?.stdout ?? "";
      if (!saved.includes("KUBE-")) continue;
      const kept = saved
        .split("\n")
        .filter(
          (line) => !line.startsWith(":KUBE-") && !line.includes(" KUBE-") && !line.startsWith("-A KUBE-"),
        )
        .join("\n");
      const file = join(NODE_LIB, `${tool}-${table}.rules`);
      await mkdir(NODE_LIB, { recursive: true });
      await writeFile(file, kept);
      await run(`${tool}-restore`, ["-w", "-T", table, file]);
      await rm(file);
    }
}

/** Processes of the node: containerd's shims and every process that names the node's paths. */
async function nodeProcesses(): Promise<{ pid: number; cmd: string }[]> {
  const found = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = (await ok(readFile(`/proc/${entry}/cmdline`, "utf8")))?.replaceAll("\0", " ") ?? "";
    if (cmd.includes(NODE_RUN) || cmd.includes(NODE_LIB)) found.push({ pid, cmd: cmd.trim() });
  }
  return found;
}

async function runcContainers(): Promise<string[]> {
  const out = await ok(run("runc", ["--root", join(RUNC_ROOT, "k8s.io"), "list", "-q"]));
  return out?.stdout.split("\n").filter(Boolean) ?? [];
}

async function interfaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["-o", "link", "show"]);
  return stdout
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((name) => name === API_INTERFACE || name === POD_BRIDGE);
}

/** The kubelet's QoS cgroups (kubepods, kubepods/burstable, ...) in every cgroup v1 hierarchy. */
async function kubepodsCgroups(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await ok(readdir(dir, { withFileTypes: true }))) ?? [])
      if (entry.isDirectory()) {
        await walk(join(dir, entry.name));
        found.push(join(dir, entry.name));
      }
  };
  for (const controller of (await ok(readdir("/sys/fs/cgroup"))) ?? []) {
    const top = join("/sys/fs/cgroup", controller, "kubepods");
    if ((await ok(readdir(top))) === undefined) continue;
    await walk(top);
    found.push(top);
  }
  return found;
}

/** What of a node is still on this machine, one line each; empty when it is clean. */
export async function leftovers(): Promise<string[]> {
  return [
    ...(await nodeProcesses()).map((p) => `process ${p.pid}: ${p.cmd.slice(0, 120)}`),
    ...(await runcContainers()).map((id) => `runc container ${id}`),
    ...(await mountsUnder([NODE_LIB, NODE_RUN])).map((m) => `mount ${m}`),
    ...(await interfaces()).map((i) => `interface ${i}`),
    ...(await kubeChains()).map((c) => `${c.tool} -t ${c.table} chain ${c.chain}`),
    ...(await kubepodsCgroups()).map((c) => `cgroup ${c}`),
  ];
}

/**
 * Removes everything a node left, whether it stopped cleanly or not: containers, processes,
 * mounts, interfaces, iptables chains, cgroups and state; restores ip_forward if `ipForward` is known.
 */
export async function cleanHost(ipForward?: string) {
  for (const id of await runcContainers()) {
    await ok(run("runc", ["--root", join(RUNC_ROOT, "k8s.io"), "kill", id, "KILL"]));
    await ok(run("runc", ["--root", join(RUNC_ROOT, "k8s.io"), "delete", "--force", id]));
  }
  for (const p of await nodeProcesses()) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
  // Innermost first; lazily where a mount is still busy, so the directories can go.
  for (const point of (await mountsUnder([NODE_LIB, NODE_RUN])).reverse())
    await ok(run("umount", [point]).catch(() => run("umount", ["-l", point])));
  for (const name of await interfaces()) await ok(run("ip", ["link", "del", name]));
  await deleteKubeChains();
  for (const cgroup of await kubepodsCgroups()) await ok(rmdir(cgroup));
  if (ipForward !== undefined) await ok(writeFile(IP_FORWARD, ipForward));
  await rm(NODE_RUN, { recursive: true, force: true });
  await rm(NODE_LIB, { recursive: true, force: true });
}
