// The CUDA worker's extra layer: onnxruntime's CUDA execution provider and the CUDA 13 libraries it
// loads, from PyPI wheels (onnxruntime-node's own install script fetches the provider from NuGet,
// which this machine and CI cannot reach). The wheels and the packed layer are cached outside git,
// so only the first `npm run images -- --cuda` downloads (about 1.5 GB). The NVIDIA driver's
// libcuda.so.1 is not in it: the NVIDIA container toolkit mounts the host's at run time.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ariaCacheDir } from "../tools/go-tool.ts";
import { fileExists } from "./file-exists.ts";
import { CUDA_LIB_DIR, IMAGES } from "./image-spec.ts";
import { packLayer } from "./layer.ts";
import { ORT_BINARIES } from "./runtime-modules.ts";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The provider must come from the same onnxruntime release as onnxruntime-node's libonnxruntime.so.1. */
const ORT_VERSION = (
  JSON.parse(readFileSync(join(ROOT, "node_modules", "onnxruntime-node", "package.json"), "utf8")) as {
    version: string;
  }
).version;

interface Wheel {
  name: string;
  version: string;
  /** Shared objects taken from the wheel, by path inside it. */
  libraries: RegExp;
  /** Where they go in the image. */
  to: string;
}

/** Where onnxruntime-node looks for libonnxruntime_providers_*.so: beside libonnxruntime.so.1. */
export const ORT_PROVIDER_DIR = join(IMAGES.worker.workdir, "node_modules", ORT_BINARIES, "linux", "x64");

/**
 * onnxruntime-gpu's `cuda` and `cudnn` extras, pinned. The provider links cudart, cuBLAS(Lt) and
 * cuRAND and opens cuDNN, cuFFT and NVRTC with dlopen; cuFFTW, NVBLAS and TensorRT's provider are left out.
 */
export const CUDA_WHEELS: Wheel[] = [
  {
    name: "onnxruntime-gpu",
    version: ORT_VERSION,
    libraries: /^onnxruntime\/capi\/libonnxruntime_providers_(cuda|shared)\.so$/,
    to: ORT_PROVIDER_DIR,
  },
  { name: "nvidia-cuda-runtime", version: "13.5.37", libraries: /\/libcudart\.so\.\d+$/, to: CUDA_LIB_DIR },
  { name: "nvidia-cublas", version: "13.10.0.20", libraries: /\/libcublas(Lt)?\.so\.\d+$/, to: CUDA_LIB_DIR },
  { name: "nvidia-curand", version: "10.4.5.25", libraries: /\/libcurand\.so\.\d+$/, to: CUDA_LIB_DIR },
  { name: "nvidia-cufft", version: "12.5.0.14", libraries: /\/libcufft\.so\.\d+$/, to: CUDA_LIB_DIR },
  {
    name: "nvidia-cudnn-cu13",
    version: "9.28.1.4",
    libraries: /\/libcudnn[a-z_]*\.so\.\d+$/,
    to: CUDA_LIB_DIR,
  },
  {
    name: "nvidia-cuda-nvrtc",
    version: "13.5.37",
    libraries: /\/libnvrtc(-builtins)?\.so\.[\d.]+$/,
    to: CUDA_LIB_DIR,
  },
];

/** pip's tags for the wheels (the libraries are the same for every Python; the .so files are what we take). */
const PIP_TARGET = [
  "--only-binary=:all:",
  "--python-version=3.12",
  ...[
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux_2_12_x86_64",
    "manylinux_2_5_x86_64",
  ].map((tag) => `--platform=${tag}`),
];

/** Fixed mtimes independent of the commit, so the 2 GB layer keeps its digest and pushes once. */
const LAYER_EPOCH = "0";

const wheelPrefix = (wheel: Wheel) => `${wheel.name.replaceAll("-", "_")}-${wheel.version}-`;

/** The cached wheel file, downloaded with `pip download` the first time. */
async function ensureWheel(wheel: Wheel, dir: string): Promise<string> {
  const cached = (await readdir(dir)).find((f) => f.startsWith(wheelPrefix(wheel)) && f.endsWith(".whl"));
  if (cached) return join(dir, cached);
  console.log(`aria: fetching ${wheel.name}==${wheel.version} from PyPI (once)`);
  // A private folder, renamed into place, so two builds never see a half-written wheel.
  const work = join(dir, `.download-${process.pid}`);
  try {
    await run(
      "python3",
      [
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        ...PIP_TARGET,
        "-d",
        work,
        `${wheel.name}==${wheel.version}`,
      ],
      { maxBuffer: 2 ** 26 },
    );
    const [file] = await readdir(work);
    if (!file) throw new Error(`pip download ${wheel.name}==${wheel.version} saved nothing`);
    await rename(join(work, file), join(dir, file));
    return join(dir, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Unpacks the wheels' libraries into <root>/opt: the provider beside libonnxruntime.so.1, CUDA in CUDA_LIB_DIR. */
export async function stageCudaLibraries(root: string): Promise<void> {
  const dir = join(ariaCacheDir(), "cuda-wheels");
  await mkdir(dir, { recursive: true });
  for (const wheel of CUDA_WHEELS) {
    const file = await ensureWheel(wheel, dir);
    const { stdout } = await run("unzip", ["-Z1", file], { maxBuffer: 2 ** 26 });
    const members = stdout.split("\n").filter((m) => wheel.libraries.test(m));
    if (members.length === 0) throw new Error(`${file} holds no ${wheel.libraries}`);
    const to = join(root, wheel.to);
    await mkdir(to, { recursive: true });
    // -j: flat into the target folder, as the loader looks for them there.
    await run("unzip", ["-q", "-o", "-j", file, ...members, "-d", to]);
  }
}

/**
 * The cached CUDA layer, packed and gzipped the first time its wheels are seen; crane takes a
 * gzipped layer as it is, so a warm build does not compress its 2 GB again.
 */
export async function ensureCudaLayer(): Promise<{ tarball: string; cached: boolean }> {
  const hash = createHash("sha256")
    .update(
      JSON.stringify(CUDA_WHEELS, (_key, value: unknown) => (value instanceof RegExp ? value.source : value)),
    )
    .update(ORT_PROVIDER_DIR + CUDA_LIB_DIR)
    .digest("hex")
    .slice(0, 16);
  const dir = join(ariaCacheDir(), "cuda-layer");
  const tarball = join(dir, `cuda-${hash}.tar.gz`);
  if (await fileExists(tarball)) return { tarball, cached: true };
  await mkdir(dir, { recursive: true });
  const staging = join(dir, `.stage-${process.pid}`);
  const partial = join(dir, `.layer-${process.pid}.tar`);
  try {
    await stageCudaLibraries(staging);
    await packLayer(staging, ["opt"], partial, LAYER_EPOCH);
    // -n: no name or time in the header, so equal layers stay byte-equal.
    await run("gzip", ["-n", "-f", partial]);
    await rename(`${partial}.gz`, tarball);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(partial, { force: true });
    await rm(`${partial}.gz`, { force: true });
  }
  return { tarball, cached: false };
}
