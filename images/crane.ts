// crane builds and edits OCI images without a container engine (none runs here); it comes from the
// Go module proxy like the control plane's binaries.
import { spawn } from "node:child_process";
import { ensureGoTool } from "../tools/go-tool.ts";
import { freePort } from "../tools/free-port.ts";

export function ensureCrane(): Promise<string> {
  return ensureGoTool({
    name: "crane",
    pkg: "github.com/google/go-containerregistry/cmd/crane",
    version: "v0.22.1",
  });
}

/** crane mutate reads its input from a registry: an in-memory one on loopback for the build. */
export async function startRegistry(crane: string): Promise<{ host: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(crane, ["registry", "serve", "--address", `127.0.0.1:${port}`], { stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`crane registry serve did not start on ${host}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host, stop: () => child.kill() };
}
