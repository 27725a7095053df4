// A real S3 server for the object-storage and node tests: versitygw (Apache-2.0; serves a POSIX
// directory and checks SigV4 signatures as S3 does), built from the Go module proxy once and cached
// outside git beside the control plane's binaries.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../tools/free-port.ts";
import { ensureGoTool } from "../../tools/go-tool.ts";

/** The cached versitygw binary, built with `go install` the first time (a few minutes). */
export function ensureVersitygw(): Promise<string> {
  return ensureGoTool({
    name: "versitygw",
    pkg: "github.com/versity/versitygw/cmd/versitygw",
    version: "v1.8.0",
  });
}

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The directory it serves: each top-level folder is a bucket. */
  root: string;
  stop(): Promise<void>;
}

/** Serves a fresh directory on `address` (loopback, or a local node's API address for its pods). */
export async function startS3Server(address = "127.0.0.1"): Promise<S3Server> {
  const exe = await ensureVersitygw();
  const root = await mkdtemp(join(tmpdir(), "aria-s3-"));
  const port = await freePort();
  const accessKeyId = "aria-test-access";
  const secretAccessKey = "aria-test-secret-0123456789";
  const child: ChildProcess = spawn(
    exe,
    ["--access", accessKeyId, "--secret", secretAccessKey, "--port", `${address}:${port}`, "posix", root],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://${address}:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`versitygw exited ${child.exitCode}: ${stderr}`);
    const up = await fetch(endpoint).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`versitygw did not listen on ${endpoint}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    root,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve),
      );
      await rm(root, { recursive: true, force: true });
    },
  };
}
