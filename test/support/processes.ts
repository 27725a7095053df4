// The operator and workers as real local processes, registered with the test control plane the
// way pods would be (no kubelet runs there).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnAria, type Proc } from "../controlplane/aria-process.ts";
import { controlPlane } from "./cluster.ts";

export type { Proc };

const running = new Set<Proc>();

function start(script: string, args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawnAria(script, args, controlPlane().kubeconfig, env);
  running.add(proc);
  proc.child.once("exit", () => running.delete(proc));
  return proc;
}

export function startOperator(namespace: string, extra: string[] = [], env: Record<string, string> = {}) {
  return start(
    "operator/main.ts",
    [
      "--namespace",
      namespace,
      "--port",
      "0",
      "--bind-address",
      "127.0.0.1",
      "--storage-dir",
      storageDir(namespace),
      "--leader-election-lease-duration",
      "4",
      "--leader-election-renew-deadline",
      "3",
      "--leader-election-retry-period",
      "0.5",
      ...extra,
    ],
    env,
  );
}

export function startWorker(namespace: string, pool: string, id: string, extra: string[] = []) {
  return start("worker/main.ts", [
    "--pool",
    pool,
    "--namespace",
    namespace,
    "--id",
    id,
    "--port",
    "0",
    "--bind-address",
    "127.0.0.1",
    "--storage-dir",
    storageDir(namespace),
    "--lease-seconds",
    "3",
    "--drain-seconds",
    "5",
    ...extra,
  ]);
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
