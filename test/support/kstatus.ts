// kstatus (sigs.k8s.io/cli-utils) as Flux and kpt compute health: gitops/kstatus built with
// `go build` once per version of its source into Aria's cache, then fed objects as JSON.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ensureGoProgram } from "../../tools/go-tool.ts";

const SOURCE = join(import.meta.dirname, "../../gitops/kstatus");

export interface KstatusResult {
  status: string;
  message: string;
}

/** The cached executable, rebuilt when its source changes. */
export function ensureKstatus(): Promise<string> {
  return ensureGoProgram("kstatus", SOURCE);
}

/** status.Compute's result for one object. */
export function kstatus(exe: string, obj: object): Promise<KstatusResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, (err, stdout, stderr) => {
      if (err) return reject(new Error(`kstatus: ${stderr || err.message}`));
      const [status = "", message = ""] = stdout.trimEnd().split("\t");
      resolve({ status, message });
    });
    child.stdin?.end(JSON.stringify(obj));
  });
}
