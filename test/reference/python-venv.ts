import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runCacheScript } from "../support/cache-script.ts";

const script = fileURLToPath(new URL("./ensure-venv.sh", import.meta.url));
const run = promisify(execFile);

/** A Python venv made from one of the requirements files in test/reference/. */
export interface ReferenceVenv {
  dir: string;
  python: string;
}

/**
 * Creates the venv from PyPI on first use (cached outside git, keyed by the requirements file) and
 * returns it. requirements.txt is the reference the benchmarks and conformance tests share;
 * requirements-tokenizer.txt is transformers 5 alone, for the tokenizer fixture.
 */
export async function ensureReferenceVenv(
  requirements: "requirements.txt" | "requirements-tokenizer.txt" = "requirements.txt",
): Promise<ReferenceVenv> {
  const dir = await runCacheScript(script, `creating the Python venv for ${requirements}`, [requirements]);
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
