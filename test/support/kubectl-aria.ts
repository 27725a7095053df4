import { execFile } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { controlPlane } from "./cluster.ts";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let bin: string | undefined;
/** A folder holding only kubectl-aria, linked to the repository's, as `npm install -g .` leaves it. */
function pluginBin(): string {
  if (!bin) {
    bin = mkdtempSync(join(tmpdir(), "aria-plugin-"));
    symlinkSync(resolve("plugin/kubectl-aria.mjs"), join(bin, "kubectl-aria"));
  }
  return bin;
}

/** `kubectl aria ARGS`, found by kubectl on the PATH, with the local control plane's kubeconfig unless `env` names another. */
export function kubectlAria(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  const cp = controlPlane();
  const path = `${pluginBin()}:${dirname(process.execPath)}:${process.env.PATH}`;
  return new Promise((done) => {
    execFile(
      cp.kubectl,
      ["aria", ...args],
      { cwd, env: { ...process.env, KUBECONFIG: cp.kubeconfig, ...env, PATH: path } },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
