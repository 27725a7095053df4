// The CUDA worker image (`npm run images -- --cuda`) as far as a machine without a GPU can check it:
// inside the image its own loader resolves onnxruntime's CUDA provider and every CUDA library the
// provider links or opens, with only the driver's libcuda.so.1 left for the NVIDIA container toolkit
// to mount; and the worker asked for the cuda accelerator starts, says it has no CUDA driver, and
// renders on CPU against the local control plane.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImages } from "../../images/build.ts";
import { ORT_PROVIDER_DIR } from "../../images/cuda-libraries.ts";
import { CUDA_LIB_DIR, CUDA_WORKER, imageTag } from "../../images/image-spec.ts";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, stopAll } from "../support/processes.ts";
import { PODMAN_RUN, startImageWorker } from "./podman-worker.ts";

const run = promisify(execFile);
const TAG = imageTag(CUDA_WORKER);
const PROVIDER = `${ORT_PROVIDER_DIR}/libonnxruntime_providers_cuda.so`;
/** What the provider opens with dlopen rather than links (its DT_NEEDED list lacks them). */
const OPENED = ["libcudnn.so.9", "libcufft.so.12", "libnvrtc.so.13"];

const containers: string[] = [];

beforeAll(async () => {
  await run("podman", ["--version"]).catch((error: Error) => {
    throw new Error(`podman is needed to run the images (apt-get install podman): ${error.message}`);
  });
  const [tarball] = await buildImages([CUDA_WORKER]);
  await run("podman", ["load", "-i", tarball!]);
}, 600_000);

afterAll(async () => {
  for (const name of containers) await run("podman", ["rm", "-f", "-t", "0", name]).catch(() => undefined);
  await stopAll();
});

/** What ldd says of each library, asked of the image's own loader against the image's files only. */
async function listInImage(libraries: string[]): Promise<Record<string, string>> {
  const script = `
    const { spawnSync } = require("node:child_process");
    const out = {};
    for (const lib of JSON.parse(process.argv[1])) {
      // ldd's way: the loader lists every dependency, "not found" ones included, and runs nothing.
      const env = { ...process.env, LD_TRACE_LOADED_OBJECTS: "1" };
      const r = spawnSync("/lib64/ld-linux-x86-64.so.2", [lib], { encoding: "utf8", env });
      out[lib] = r.stdout + r.stderr;
    }
    console.log(JSON.stringify(out));`;
  const { stdout } = await run(
    "podman",
    [...PODMAN_RUN, "--entrypoint", "/usr/local/bin/node", TAG, "-e", script, JSON.stringify(libraries)],
    { timeout: 60_000, maxBuffer: 2 ** 24 },
  );
  return JSON.parse(stdout) as Record<string, string>;
}

describe("the CUDA worker image", () => {
  it("resolves the CUDA provider and every library it needs inside the image, all but the driver's libcuda.so.1", async () => {
    const { stdout } = await run(
      "podman",
      [
        ...PODMAN_RUN,
        "--entrypoint",
        "/usr/local/bin/node",
        TAG,
        "-p",
        `require("node:fs").readdirSync(${JSON.stringify(CUDA_LIB_DIR)}).join("\\n")`,
      ],
      { timeout: 60_000 },
    );
    const cudaLibs = stdout.trim().split("\n");
    expect(cudaLibs).toEqual(expect.arrayContaining(OPENED));
    const lists = await listInImage([PROVIDER, ...cudaLibs.map((lib) => `${CUDA_LIB_DIR}/${lib}`)]);
    // Each listing is whole (the loader did not stop early): every library links glibc.
    for (const [lib, list] of Object.entries(lists)) expect(list, lib).toMatch(/libc\.so\.6 => \//);
    const missing = Object.entries(lists).flatMap(([lib, list]) =>
      [...list.matchAll(/^\s*(\S+) => not found/gm)].map((m) => `${lib}: ${m[1]}`),
    );
    expect(missing.filter((m) => !m.endsWith(": libcuda.so.1"))).toEqual([]);
    // Linked from the image's CUDA folder, not found by luck elsewhere.
    for (const lib of ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10"])
      expect(lists[PROVIDER]).toContain(`${lib} => ${CUDA_LIB_DIR}/${lib}`);
    expect(lists[PROVIDER]).toMatch(/libcuda\.so\.1 => not found/);
  }, 120_000);

  it("the worker asked for cuda starts, says the CUDA driver is missing, and renders on CPU", async () => {
    const ns = await createNamespace("cuda-image");
    startOperator(ns);
    await createPool(ns, "pool", { replicas: 1, accelerator: "cuda" });
    const worker = await startImageWorker(TAG, ns, "pool");
    containers.push(worker.name);
    const log = () => `worker log:\n${worker.log().slice(-4000)}`;

    await createArtwork(ns, "fox", { poolRef: { name: "pool" }, ...QUICK });
    const art = await eventually(
      () => getArtwork(ns, "fox"),
      (a) => isReady(a) || worker.exited(),
      150_000,
      500,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${log()}`);
    });
    expect(isReady(art), log()).toBe(true);
    expect(art.status?.selected?.images[0]?.bytes).toBeGreaterThan(0);
    expect(worker.log(), log()).toContain("execution provider fell back from cuda to cpu");
    // onnxruntime's own line: the provider loaded its CUDA libraries and stopped at the driver.
    expect(worker.log(), log()).toMatch(
      /libonnxruntime_providers_cuda\.so with error: libcuda\.so\.1: cannot open shared object file/,
    );
  }, 200_000);
});
