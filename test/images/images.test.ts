// The images as a user runs them: built with `npm run images`, loaded into podman, run as uid
// 65532 on a read-only root filesystem; the worker image renders an Artwork against the local
// control plane (host network: the API server listens on loopback) with its baked models.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImages } from "../../images/build.ts";
import { IMAGES, imageTag } from "../../images/image-spec.ts";
import { kubeconfigYaml } from "../controlplane/control-plane.ts";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "../support/artworks.ts";
import { controlPlane, createNamespace } from "../support/cluster.ts";
import { startOperator, stopAll, storageDir } from "../support/processes.ts";
import { PODMAN_RUN } from "./podman-worker.ts";

const run = promisify(execFile);

const containers: string[] = [];
let worker: ChildProcess | undefined;
let workerLog = "";

beforeAll(async () => {
  await run("podman", ["--version"]).catch((error: Error) => {
    throw new Error(`podman is needed to run the images (apt-get install podman): ${error.message}`);
  });
  for (const tarball of await buildImages()) await run("podman", ["load", "-i", tarball]);
}, 300_000);

afterAll(async () => {
  for (const name of containers) await run("podman", ["rm", "-f", "-t", "0", name]).catch(() => undefined);
  await stopAll();
});

describe("the images", () => {
  it.each(Object.values(IMAGES))("$name: --help runs as uid 65532 on a read-only root", async (spec) => {
    const { stdout } = await run("podman", [...PODMAN_RUN, imageTag(spec), "--help"], { timeout: 60_000 });
    expect(stdout).toContain(`Usage: aria-${spec.name}`);
    const { stdout: id } = await run(
      "podman",
      [...PODMAN_RUN, "--entrypoint", "/usr/local/bin/node", imageTag(spec), "-p", "process.getuid()"],
      { timeout: 60_000 },
    );
    expect(id.trim()).toBe("65532");
  });

  it("the worker image renders an Artwork with its baked models", async () => {
    const ns = await createNamespace("images");
    startOperator(ns);
    await createPool(ns, "pool", { replicas: 1 });
    const cp = controlPlane();
    const dir = await mkdtemp(join(tmpdir(), "aria-image-worker-"));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(
      kubeconfig,
      kubeconfigYaml(cp.server, await readFile(cp.caCert), cp.tokens.admin, "admin"),
    );
    await chmod(kubeconfig, 0o644);
    await chmod(dir, 0o755);
    // The image directory is shared with the operator like a volume; the container's user writes it.
    const images = storageDir(ns);
    await chmod(images, 0o777);
    const name = `aria-worker-${randomBytes(4).toString("hex")}`;
    containers.push(name);
    worker = spawn("podman", [
      ...PODMAN_RUN,
      "--name",
      name,
      "-v",
      `${kubeconfig}:/var/run/aria/kubeconfig:ro`,
      "-v",
      `${images}:/images`,
      "-e",
      "KUBECONFIG=/var/run/aria/kubeconfig",
      imageTag(IMAGES.worker),
      "--pool",
      "pool",
      "--namespace",
      ns,
      "--id",
      name,
      "--port",
      "0",
      "--secure-port",
      "0",
      "--bind-address",
      "127.0.0.1",
      "--storage-dir",
      "/images",
      "--min-free-mb",
      "1",
    ]);
    worker.stdout?.on("data", (chunk: Buffer) => (workerLog += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (workerLog += chunk.toString()));

    await createArtwork(ns, "fox", { poolRef: { name: "pool" }, ...QUICK });
    const art = await eventually(
      () => getArtwork(ns, "fox"),
      (a) => isReady(a) || worker?.exitCode !== null,
      150_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nworker log:\n${workerLog.slice(-4000)}`);
    });
    expect(isReady(art), `worker log:\n${workerLog.slice(-4000)}`).toBe(true);
    expect(art.status?.worker).toBe(name);
    const image = art.status?.selected?.images[0];
    expect(image?.bytes).toBeGreaterThan(0);
    // Baked, not built: the worker had no writable model cache and found the models ready.
    expect(workerLog).not.toMatch(/EROFS|read-only file system/i);
  }, 200_000);
});
