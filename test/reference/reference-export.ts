import { createHash } from "node:crypto";
import { access, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPython, type ReferenceVenv } from "./python-venv.ts";

/**
 * A model a script in the reference venv exports (Optimum's own exporter, tiny random weights), made
 * once and cached inside the venv's folder: a new venv (other package versions) or a changed script
 * gets a new export. The script is run as `python script --out DIR ...args` and fills DIR; args may
 * name temporary paths, so they must carry fixed content (such as the committed CLIP vocabulary).
 */
export async function ensureReferenceExport(
  venv: ReferenceVenv,
  name: string,
  script: URL,
  args: string[],
): Promise<string> {
  const path = fileURLToPath(script);
  const key = createHash("sha256")
    .update(await readFile(path))
    .digest("hex")
    .slice(0, 12);
  const dir = join(venv.dir, "exports", `${name}-${key}`);
  if (
    await access(dir).then(
      () => true,
      () => false,
    )
  )
    return dir;
  // Built aside and renamed, so a killed run never leaves a half-written export under the real name.
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await runPython(venv, [path, "--out", partial, ...args]);
  await rename(partial, dir);
  return dir;
}
