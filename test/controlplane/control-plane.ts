// A real kube-apiserver and etcd on loopback, the envtest approach: no kubelet, no controller-manager.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { freePort } from "../../tools/free-port.ts";
import { ensureBinaries, type ControlPlaneBinaries } from "./binaries.ts";
import { makeCertificates, makeClientCertificate } from "./certificates.ts";
import { installCrds } from "./install-crds.ts";

/** Users the static token file knows; tests use the unprivileged ones to check authorisation. */
export const LOCAL_USERS = ["admin", "alice", "bob"] as const;
export type LocalUser = (typeof LOCAL_USERS)[number];

export interface ControlPlaneState {
  dataDir: string;
  kubeconfig: string;
  server: string;
  binDir: string;
  kubectl: string;
  pids: number[];
  tokens: Record<LocalUser, string>;
  /** Tokens of StartOptions.node's users. */
  nodeTokens?: Record<string, string>;
  caCert: string;
  /** How the API server was started, so a fault test can start it again with the same flags. */
  apiserver: { binary: string; args: string[]; logFile: string };
}

/**
 * Where the API server listens for a real node's pods: an address on an interface the node fixture
 * made (never the machine's uplink), a fixed port, and the Service range kube-proxy serves.
 */
export interface NodeApiNetwork {
  address: string;
  port: number;
  serviceCidr: string;
  /** The `kubernetes` Service's IP, the first of serviceCidr; in the serving certificate. */
  serviceIp: string;
  /** More static-token users (user → groups), e.g. the kubelet's system:node:<name>. */
  users: Record<string, string[]>;
}

export interface StartOptions {
  dataDir: string;
  /** Serve a real node: Node,RBAC authorization, the ServiceAccount admission plugin, this network. */
  node?: NodeApiNetwork;
  /** Detached processes outlive this one (npm run cluster:up); otherwise they are this process's children. */
  detached?: boolean;
  log?: (line: string) => void;
}

/** Starts a control-plane process logging to `logFile`; `detached` ones outlive this process. */
export function startProcess(
  binary: string,
  args: string[],
  logFile: string,
  detached: boolean,
): ChildProcess {
  // The log file itself is the child's stdout/stderr, so a detached child holds no pipe to this process.
  const fd = openSync(logFile, "a");
  const child = spawn(binary, args, { detached, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  if (detached) child.unref();
  return child;
}

/** Resolves once `path` on the apiserver answers 200, or rejects with the log's tail after `timeoutMs`. */
async function waitHttps(
  url: string,
  ca: Buffer,
  token: string,
  timeoutMs: number,
  exited: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = exited();
    if (why) throw new Error(why);
    const status = await new Promise<number>((resolve) => {
      const req = request(
        url,
        { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 2000 },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", () => resolve(0));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not become ready within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function tail(file: string, lines = 30) {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * How the API server reaches kubelets (logs, exec): by the node's InternalIP, never its hostname
 * (which would be looked up in the machine's DNS), with a client certificate kubelets trust.
 */
async function kubeletClientFlags(pki: string) {
  const client = await makeClientCertificate(
    pki,
    "kubelet-client",
    "/O=system:masters/CN=kube-apiserver-kubelet-client",
  );
  return [
    "--kubelet-preferred-address-types=InternalIP",
    `--kubelet-client-certificate=${client.cert}`,
    `--kubelet-client-key=${client.key}`,
  ];
}

export async function startControlPlane(options: StartOptions): Promise<ControlPlaneState> {
  const log = options.log ?? ((line: string) => console.error(line));
  const detached = options.detached ?? false;
  const t0 = Date.now();
  log("aria: preparing the local control plane (etcd + kube-apiserver)");
  const bins: ControlPlaneBinaries = await ensureBinaries();
  const { dataDir } = options;
  await mkdir(join(dataDir, "pki"), { recursive: true });
  const node = options.node;
  const certs = await makeCertificates(join(dataDir, "pki"), node ? [node.address, node.serviceIp] : []);

  const tokens = Object.fromEntries(LOCAL_USERS.map((u) => [u, randomBytes(24).toString("hex")])) as Record<
    LocalUser,
    string
  >;
  const nodeTokens = Object.fromEntries(
    Object.keys(node?.users ?? {}).map((u) => [u, randomBytes(24).toString("hex")]),
  );
  const tokenFile = join(dataDir, "pki", "tokens.csv");
  const tokenLine = (token: string, user: string, groups: string[]) =>
    `${token},${user},${user}-uid${groups.length ? `,"${groups.join(",")}"` : ""}`;
  await writeFile(
    tokenFile,
    [
      ...LOCAL_USERS.map((u) => tokenLine(tokens[u], u, u === "admin" ? ["system:masters"] : [])),
      ...Object.entries(node?.users ?? {}).map(([u, groups]) => tokenLine(nodeTokens[u]!, u, groups)),
    ].join("\n") + "\n",
    { mode: 0o600 },
  );

  const [etcdClient, etcdPeer] = [await freePort(), await freePort()];
  const apiPort = node?.port ?? (await freePort());
  const apiAddress = node?.address ?? "127.0.0.1";
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const exits = new Map<string, string>();
  const watchExit = (name: string, child: ChildProcess, logFile: string) =>
    child.on("exit", (code, signal) => {
      void tail(logFile).then((t) =>
        exits.set(name, `${name} exited (${code ?? signal}) while starting:\n${t}`),
      );
    });

  const etcdLog = join(dataDir, "etcd.log");
  const etcd = startProcess(
    bins.etcd,
    [
      `--data-dir=${join(dataDir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      // Throwaway data: fsync only slows tests down.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    etcdLog,
    detached,
  );
  watchExit("etcd", etcd, etcdLog);

  const apiLog = join(dataDir, "kube-apiserver.log");
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${apiAddress}`,
    `--advertise-address=${apiAddress}`,
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${certs.servingCert}`,
    `--tls-private-key-file=${certs.servingKey}`,
    `--client-ca-file=${certs.caCert}`,
    `--token-auth-file=${tokenFile}`,
    // A node's kubelet is authorized by the Node authorizer, as in any real cluster.
    `--authorization-mode=${node ? "Node,RBAC" : "RBAC"}`,
    `--service-cluster-ip-range=${node?.serviceCidr ?? "10.0.0.0/24"}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${certs.serviceAccountPub}`,
    `--service-account-signing-key-file=${certs.serviceAccountKey}`,
    ...(node ? await kubeletClientFlags(join(dataDir, "pki")) : []),
    // Without a node no controller-manager runs to create default service accounts for pods.
    ...(node
      ? ["--enable-admission-plugins=NodeRestriction"]
      : ["--disable-admission-plugins=ServiceAccount"]),
    "--allow-privileged=true",
    `--cert-dir=${join(dataDir, "pki")}`,
    "--v=1",
  ];
  const apiserver = startProcess(bins.kubeApiserver, apiserverArgs, apiLog, detached);
  watchExit("kube-apiserver", apiserver, apiLog);

  const server = `https://${apiAddress}:${apiPort}`;
  const ca = await readFile(certs.caCert);
  const pids = [etcd.pid, apiserver.pid].filter((p): p is number => typeof p === "number");
  const kubeconfig = join(dataDir, "kubeconfig");
  try {
    await waitHttps(`${server}/readyz`, ca, tokens.admin, 120_000, () => exits.values().next().value);
    await writeFile(kubeconfig, kubeconfigYaml(server, ca, tokens.admin), { mode: 0o600 });
    await installCrds(bins.kubectl, kubeconfig);
  } catch (err) {
    for (const pid of pids) killQuietly(pid);
    throw new Error(`${(err as Error).message}\n--- kube-apiserver log ---\n${await tail(apiLog)}`, {
      cause: err,
    });
  }
  log(`aria: control plane ready at ${server} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  if (!detached) {
    // Children of this process: they must not outlive it when it is killed.
    const killAll = () => pids.forEach(killQuietly);
    process.once("exit", killAll);
  }
  return {
    dataDir,
    kubeconfig,
    server,
    binDir: bins.dir,
    kubectl: bins.kubectl,
    pids,
    tokens,
    ...(node ? { nodeTokens } : {}),
    caCert: certs.caCert,
    apiserver: { binary: bins.kubeApiserver, args: apiserverArgs, logFile: apiLog },
  };
}

/**
 * Starts the API server again with the flags it first ran with, after a fault test killed it (etcd
 * kept running, so every object is still there), and waits until it is ready. The new process
 * takes the old one's place in `state.pids`, so stopControlPlane stops it.
 */
/**
 * The loopback serving certificate the control plane made, for Aria's HTTPS ports in tests and
 * benchmarks, and the CA a client trusts it by.
 */
export function servingTlsOf(cp: ControlPlaneState) {
  return {
    certFile: join(cp.dataDir, "pki", "serving.crt"),
    keyFile: join(cp.dataDir, "pki", "serving.key"),
    ca: readFileSync(cp.caCert),
  };
}

export async function restartApiserver(state: ControlPlaneState, timeoutMs = 120_000) {
  const { binary, args, logFile } = state.apiserver;
  const child = startProcess(binary, args, logFile, false);
  const at = state.pids.length - 1;
  if (typeof child.pid === "number") state.pids[at] = child.pid;
  let exited: string | undefined;
  child.on("exit", (code, signal) => (exited = `kube-apiserver exited (${code ?? signal}) while starting`));
  await waitHttps(
    `${state.server}/readyz`,
    await readFile(state.caCert),
    state.tokens.admin,
    timeoutMs,
    () => exited,
  );
}

export function kubeconfigYaml(server: string, ca: Buffer, token: string, user = "admin") {
  return `apiVersion: v1
kind: Config
clusters:
- name: aria-local
  cluster:
    server: ${server}
    certificate-authority-data: ${ca.toString("base64")}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: aria-local
  context:
    cluster: aria-local
    user: ${user}
    namespace: default
current-context: aria-local
`;
}

export function killQuietly(pid: number) {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

/** Stops the processes and waits until they have exited, escalating to SIGKILL after 10 s. */
export async function stopControlPlane(
  state: Pick<ControlPlaneState, "pids" | "dataDir">,
  removeData = true,
) {
  // apiserver first, so it does not log etcd connection errors while shutting down.
  for (const pid of [...state.pids].reverse()) await stopProcess(pid);
  if (removeData) await rm(state.dataDir, { recursive: true, force: true });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(pid: number, graceMs = 10_000) {
  killQuietly(pid);
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
