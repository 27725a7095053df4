import { spawn } from "node:child_process";

/**
 * Runs a bash script that builds something once into the cache outside git and prints its path as
 * the last line on stdout; its progress (stderr) is passed through.
 */
export function runCacheScript(script: string, what: string, args: string[] = []): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(out.trim().split("\n").pop() ?? "");
      else reject(new Error(`${what} failed (exit ${code}); see the output above`));
    });
  });
}
