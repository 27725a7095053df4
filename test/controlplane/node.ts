// A real one-node cluster on this machine: the control plane (serving pods on the fixture's own
// address), containerd + runc + CNI bridge, kubelet, kube-proxy, kube-controller-manager and
// kube-scheduler, with Aria's images imported. The settings are the ones design.md found this
// machine needs ("A real node runs here").
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { runCacheScript } from "../support/cache-script.ts";
import {
  alive,
  kubeconfigYaml,
  startControlPlane,
  startProcess,
  stopControlPlane,
  stopProcess,
  tail,
  type ControlPlaneState,
} from "./control-plane.ts";
import {
  API_ADDRESS,
  API_PORT,
  CONTAINERD_SOCKET,
  NODE_LIB,
  NODE_NAME,
  NODE_RUN,
  POD_BRIDGE,
  POD_CIDR,
  RUNC_ROOT,
  SERVICE_CIDR,
  SERVICE_IP,
  cleanHost,
  prepareHostNetwork,
} from "./node-host.ts";
import { ensurePauseImage, PAUSE_IMAGE } from "./pause-image.ts";

const run = promisify(execFile);

const script = new URL("./build-binaries.sh", import.meta.url).pathname;
const NODE_USER = `system:node:${NODE_NAME}`;
const ETC = join(NODE_LIB, "etc");
const LOGS = join(NODE_LIB, "log");
const COMPONENTS = ["containerd", "kubelet", "kube-proxy", "kube-controller-manager", "kube-scheduler"];

export interface NodeClusterState {
  controlPlane: ControlPlaneState;
  /** containerd and the node's Kubernetes components, in start order. */
  pids: Record<string, number>;
  binDir: string;
  /** ip_forward before the node, restored by stopNodeCluster. */
  ipForward: string;
  logDir: string;
}

export interface NodeOptions {
  /** Image tarballs (docker-archive or OCI) imported into containerd's k8s.io namespace. */
  images?: string[];
  detached?: boolean;
  log?: (line: string) => void;
}

const containerdConfig = () => `version = 2
root = "${NODE_LIB}/containerd"
state = "${NODE_RUN}/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "${CONTAINERD_SOCKET}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${NODE_LIB}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # Without CAP_SYS_RESOURCE every sandbox fails with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # The sandboxes' network namespaces under the node's own state, so teardown finds them all.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${RUNC_ROOT}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${ETC}/cni"
`;

// No masquerading: pods only talk to each other and to the API address on this machine.
const cniConfig = () =>
  JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "aria-pods",
      plugins: [
        {
          type: "bridge",
          bridge: POD_BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: POD_CIDR }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: `${NODE_RUN}/ipam`,
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );

const kubeletConfig = (caCert: string) => `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${API_ADDRESS}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${caCert} }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://${CONTAINERD_SOCKET}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
# Images cannot be pulled again here: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
serializeImagePulls: false
podCIDR: ${POD_CIDR}
`;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `ctr` against the node's containerd, in the namespace the CRI uses. */
export function ctr(args: string[]) {
  return run("ctr", ["--address", CONTAINERD_SOCKET, "--namespace", "k8s.io", ...args], {
    maxBuffer: 2 ** 24,
  });
}

export async function importImages(tarballs: string[]) {
  for (const tarball of tarballs) await ctr(["images", "import", tarball]);
}

export async function startNodeCluster(options: NodeOptions = {}): Promise<NodeClusterState> {
  const log = options.log ?? ((line: string) => console.error(line));
  const detached = options.detached ?? false;
  const t0 = Date.now();
  const binDir = await runCacheScript(script, "building the node's binaries", ["--node"]);
  const pauseImage = await ensurePauseImage();
  // Whatever an earlier run left (a crash, a killed test) goes first: fixed paths and ports.
  await cleanHost();
  const ipForward = await prepareHostNetwork();
  await mkdir(join(ETC, "cni"), { recursive: true });
  await mkdir(LOGS, { recursive: true });
  const pids: Record<string, number> = {};
  const state = (controlPlane: ControlPlaneState): NodeClusterState => ({
    controlPlane,
    pids,
    binDir,
    ipForward,
    logDir: LOGS,
  });
  let controlPlane: ControlPlaneState | undefined;
  try {
    controlPlane = await startControlPlane({
      dataDir: join(NODE_LIB, "control-plane"),
      detached,
      log,
      node: {
        address: API_ADDRESS,
        port: API_PORT,
        serviceCidr: SERVICE_CIDR,
        serviceIp: SERVICE_IP,
        users: { [NODE_USER]: ["system:nodes"] },
      },
    });
    const ca = await readFile(controlPlane.caCert);
    const admin = join(ETC, "admin.kubeconfig");
    const kubelet = join(ETC, "kubelet.kubeconfig");
    await writeFile(admin, kubeconfigYaml(controlPlane.server, ca, controlPlane.tokens.admin), {
      mode: 0o600,
    });
    await writeFile(
      kubelet,
      kubeconfigYaml(controlPlane.server, ca, controlPlane.nodeTokens![NODE_USER]!, NODE_USER),
      { mode: 0o600 },
    );
    await writeFile(join(ETC, "containerd.toml"), containerdConfig());
    await writeFile(join(ETC, "cni", "10-aria.conflist"), cniConfig());
    await writeFile(join(ETC, "kubelet.yaml"), kubeletConfig(controlPlane.caCert));

    const start = (name: string, binary: string, args: string[]) => {
      const child = startProcess(binary, args, join(LOGS, `${name}.log`), detached);
      if (typeof child.pid === "number") pids[name] = child.pid;
    };
    start("containerd", "containerd", ["--config", join(ETC, "containerd.toml"), "--log-level", "warn"]);
    await waitFor("containerd did not answer", 30_000, async () => (await ctr(["version"])).stdout);
    await importImages([pauseImage, ...(options.images ?? [])]);
    start("kubelet", join(binDir, "kubelet"), [
      `--config=${join(ETC, "kubelet.yaml")}`,
      `--kubeconfig=${kubelet}`,
      `--root-dir=${NODE_LIB}/kubelet`,
      `--cert-dir=${NODE_LIB}/kubelet/pki`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${API_ADDRESS}`,
      "--v=1",
    ]);
    start("kube-proxy", join(binDir, "kube-proxy"), [
      `--kubeconfig=${admin}`,
      `--hostname-override=${NODE_NAME}`,
      "--proxy-mode=iptables",
      `--cluster-cidr=${POD_CIDR}`,
      "--healthz-bind-address=127.0.0.1:10256",
      "--metrics-bind-address=127.0.0.1:10249",
      // Leave the machine's conntrack and localnet sysctls alone.
      "--conntrack-max-per-core=0",
      "--conntrack-tcp-timeout-established=0",
      "--conntrack-tcp-timeout-close-wait=0",
      "--iptables-localhost-nodeports=false",
      `--config-sync-period=15m`,
    ]);
    start("kube-controller-manager", join(binDir, "kube-controller-manager"), [
      `--kubeconfig=${admin}`,
      `--root-ca-file=${controlPlane.caCert}`,
      `--service-account-private-key-file=${join(controlPlane.dataDir, "pki", "sa.key")}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      "--secure-port=10257",
      `--cert-dir=${join(NODE_LIB, "controller-manager")}`,
    ]);
    start("kube-scheduler", join(binDir, "kube-scheduler"), [
      `--kubeconfig=${admin}`,
      "--leader-elect=false",
      "--bind-address=127.0.0.1",
      "--secure-port=10259",
      `--cert-dir=${join(NODE_LIB, "scheduler")}`,
    ]);
    const kubectl = (...args: string[]) => run(controlPlane!.kubectl, ["--kubeconfig", admin, ...args]);
    await waitFor("the node did not become Ready", 120_000, async () => {
      for (const [name, pid] of Object.entries(pids))
        if (!alive(pid)) throw new Error(`${name} exited:\n${await tail(join(LOGS, `${name}.log`))}`);
      const { stdout } = await kubectl(
        "get",
        "node",
        NODE_NAME,
        "-o",
        `jsonpath={.status.conditions[?(@.type=="Ready")].status}`,
      );
      return stdout === "True" ? true : undefined;
    }).catch(async (error: Error) => {
      const logs = await Promise.all(
        COMPONENTS.map(async (c) => `--- ${c} ---\n${await tail(join(LOGS, `${c}.log`), 15)}`),
      );
      throw new Error(`${error.message}\n${logs.join("\n")}`, { cause: error });
    });
    // Pods need their namespace's default ServiceAccount and the root CA's ConfigMap.
    await waitFor(
      "the default ServiceAccount was not made",
      60_000,
      async () => (await kubectl("get", "serviceaccount", "default", "-n", "default")).stdout,
    );
    await waitFor(
      "kube-root-ca.crt was not published",
      60_000,
      async () => (await kubectl("get", "configmap", "kube-root-ca.crt", "-n", "default")).stdout,
    );
  } catch (error) {
    await stopNodeCluster(controlPlane ? state(controlPlane) : { pids, ipForward }).catch(() => undefined);
    throw error;
  }
  log(`aria: node ${NODE_NAME} Ready at ${controlPlane.server} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return state(controlPlane);
}

/**
 * Stops the node the way a drained node goes: the controllers first (nothing replaces a pod), the
 * pods deleted through the API so the kubelet stops them and the CNI frees their addresses, then
 * the components, then everything left on the host (node-host.ts).
 */
export async function stopNodeCluster(
  state: Partial<NodeClusterState> & Pick<NodeClusterState, "pids" | "ipForward">,
) {
  const { pids, controlPlane } = state;
  for (const name of ["kube-controller-manager", "kube-scheduler"])
    if (pids[name]) await stopProcess(pids[name]);
  if (controlPlane && pids.kubelet && alive(pids.kubelet)) {
    await run(
      controlPlane.kubectl,
      [
        "--kubeconfig",
        join(ETC, "admin.kubeconfig"),
        "delete",
        "pods",
        "--all",
        "--all-namespaces",
        "--grace-period=1",
        "--timeout=60s",
      ],
      { timeout: 70_000 },
    ).catch(() => undefined);
  }
  for (const name of ["kubelet", "kube-proxy"]) if (pids[name]) await stopProcess(pids[name]);
  if (state.binDir) await run(join(state.binDir, "kube-proxy"), ["--cleanup"]).catch(() => undefined);
  if (pids.containerd) await stopProcess(pids.containerd);
  if (controlPlane) await stopControlPlane(controlPlane, false);
  await cleanHost(state.ipForward);
}
