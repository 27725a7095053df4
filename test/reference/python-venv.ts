import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCacheScript } from "../support/cache-script.ts";

const script = fileURLToPath(new URL("./ensure-venv.sh", import.meta.url));
const run = promisify(execFile);

/** The Python reference: transformers, diffusers, torch, Optimum's exporter and ONNX Runtime. */
export interface ReferenceVenv {
  dir: string;
  python: string;
}

/**
 * Creates the reference venv from PyPI on first use (cached outside git, keyed by
 * test/reference/requirements.txt) and returns it; the benchmarks and the conformance tests share it.
 */
export async function ensureReferenceVenv(): Promise<ReferenceVenv> {
  const dir = await runCacheScript(script, "creating the Python reference venv");
  return { dir, python: join(dir, "bin", "python") };
}

/** Runs a script in the venv and returns its stdout; a failure carries the script's last lines of stderr. */
export async function runPython(venv: ReferenceVenv, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(venv.python, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    const tail = (e.stderr || e.message).trim().split("\n").slice(-20).join("\n");
    throw new Error(`python ${args[0]} failed:\n${tail}`, { cause: error });
  }
}
