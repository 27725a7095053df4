// kstatus (sigs.k8s.io/cli-utils) as Flux and kpt compute health: gitops/kstatus built with
// `go build` once per version of its source into Aria's cache, then fed objects as JSON.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ariaCacheDir } from "../../tools/go-tool.ts";

const run = promisify(execFile);
const SOURCE = join(import.meta.dirname, "../../gitops/kstatus");

export interface KstatusResult {
  status: string;
  message: string;
}

/** The cached executable, named by a hash of its source so an edit rebuilds it. */
export async function ensureKstatus(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) hash.update(await readFile(join(SOURCE, file)));
  const exe = join(ariaCacheDir(), "bin", `kstatus-${hash.digest("hex").slice(0, 12)}`);
  const built = await access(exe).then(
    () => true,
    () => false,
  );
  if (built) return exe;
  await mkdir(join(ariaCacheDir(), "bin"), { recursive: true });
  // Built beside its final name and renamed, so a concurrent build never leaves half a file.
  const partial = `${exe}.${process.pid}`;
  await run("go", ["build", "-o", partial, "."], { cwd: SOURCE, maxBuffer: 16 * 1024 * 1024 });
  await rename(partial, exe);
  return exe;
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
