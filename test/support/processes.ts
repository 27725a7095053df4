// The operator and workers as real local processes, registered with the test control plane the
// way pods would be (no kubelet runs there).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnAria, type Proc } from "../controlplane/aria-process.ts";
import { controlPlane, kubeConfig, servingTls } from "./cluster.ts";
import { operatorProc, workerProc, type OperatorProc, type WorkerProc } from "./waits.ts";

export type { OperatorProc, Proc, WorkerProc };

const running = new Set<Proc>();

function start(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  kubeconfig = controlPlane().kubeconfig,
): Proc {
  const proc = spawnAria(script, args, kubeconfig, env);
  running.add(proc);
  proc.child.once("exit", () => running.delete(proc));
  return proc;
}

let operators = 0;

/**
 * Both processes: free loopback ports (plain for probes and metrics, HTTPS with the local CA's
 * certificate for what carries tokens), and the namespace's shared image directory.
 */
function localProcessArgs(namespace: string, selfSigned = false) {
  const tls = servingTls();
  return [
    "--port",
    "0",
    "--secure-port",
    "0",
    ...(selfSigned ? [] : ["--tls-cert-file", tls.certFile, "--tls-private-key-file", tls.keyFile]),
    "--bind-address",
    "127.0.0.1",
    "--storage-dir",
    storageDir(namespace),
  ];
}

/**
 * An operator watching `namespace`, electing on the Lease `aria-operator` there. Each one gets an
 * identity of its own (as each pod has its name), so a test knows who holds the Lease.
 * `selfSigned`: no certificate files, so it makes its own; `kubeconfig`: another API server.
 */
export function startOperator(
  namespace: string,
  options: {
    identity?: string;
    args?: string[];
    env?: Record<string, string>;
    selfSigned?: boolean;
    kubeconfig?: string;
  } = {},
): OperatorProc {
  const identity = options.identity ?? `operator-${++operators}`;
  const proc = start(
    "operator/main.ts",
    [
      "--namespace",
      namespace,
      "--identity",
      identity,
      ...localProcessArgs(namespace, options.selfSigned),
      "--leader-election-lease-duration",
      "4",
      "--leader-election-renew-deadline",
      "3",
      "--leader-election-retry-period",
      "0.5",
      ...(options.args ?? []),
    ],
    options.env,
    options.kubeconfig,
  );
  return operatorProc(proc, kubeConfig(), { identity, namespace });
}

/** A worker process; `env` may give it a KUBECONFIG of its own (e.g. a pod's identity). */
export function startWorker(
  namespace: string,
  pool: string,
  id: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): WorkerProc {
  const proc = start(
    "worker/main.ts",
    [
      "--pool",
      pool,
      "--namespace",
      namespace,
      "--id",
      id,
      ...localProcessArgs(namespace),
      "--lease-seconds",
      "3",
      "--drain-seconds",
      "5",
      ...extra,
    ],
    env,
  );
  return workerProc(proc, kubeConfig(), { namespace, pool, id });
}

const dirs = new Map<string, string>();
/** One image directory per test namespace, shared by its operator and workers like a volume. */
export function storageDir(namespace: string) {
  let dir = dirs.get(namespace);
  if (!dir) dirs.set(namespace, (dir = mkdtempSync(join(tmpdir(), `aria-images-${namespace}-`))));
  return dir;
}

/** Kills every process a test file started (afterAll). */
export async function stopAll() {
  await Promise.all([...running].map((p) => p.kill("SIGKILL")));
}
