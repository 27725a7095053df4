// What each image is, in one place: images/build.ts builds from it and the Dockerfile test checks
// images/Dockerfile says the same (user, entrypoint, env, base packages).
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
  description: string;
};

export const VERSION = pkg.version;
export const REGISTRY = "ghcr.io/aria-dev";

/** The distroless "nonroot" identity, so charts and policies that expect it need no change. */
export const USER = "65532:65532";

/**
 * Debian packages of the base root filesystem: what Node, sharp's libvips and onnxruntime link
 * against (zlib: the CUDA worker's cuDNN), and the CA bundle for an API server's or S3's certificate chain.
 */
export const BASE_PACKAGES = ["libc6", "libgcc-s1", "libstdc++6", "zlib1g", "ca-certificates"];
export const DEBIAN_SUITE = "bookworm";

export const NODE_BIN = "/usr/local/bin/node";
export const APP_DIR = "/opt/aria";
/** The worker's built-in models, built at image build time, found there by ARIA_MODEL_CACHE. */
export const MODELS_DIR = "/opt/aria/models";
/** The CUDA worker's CUDA runtime, cuBLAS, cuDNN, ... (images/cuda-libraries.ts), on LD_LIBRARY_PATH. */
export const CUDA_LIB_DIR = "/opt/aria/cuda/lib";

export type ImageName = "operator" | "worker";

export interface ImageSpec {
  name: ImageName;
  repository: string;
  /** Directory under APP_DIR the bundle sits in; the working directory. */
  workdir: string;
  entrypoint: string[];
  env: Record<string, string>;
  description: string;
  /** A variant of the image: its tag and tarball carry the suffix `-<variant>`. */
  variant?: "cuda";
}

const common = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  // glibc gives each thread an arena of its own; a few keep RSS flat with worker threads and libuv.
  MALLOC_ARENA_MAX: "2",
};

export const IMAGES: Record<ImageName, ImageSpec> = {
  operator: {
    name: "operator",
    repository: `${REGISTRY}/aria-operator`,
    workdir: `${APP_DIR}/operator`,
    entrypoint: [NODE_BIN, "--enable-source-maps", `${APP_DIR}/operator/aria-operator.mjs`],
    // A small young generation: the operator's objects are few and long-lived (informer caches).
    env: { ...common, NODE_OPTIONS: "--max-semi-space-size=4" },
    description: `${pkg.description}: the operator (controller manager)`,
  },
  worker: {
    name: "worker",
    repository: `${REGISTRY}/aria-worker`,
    workdir: `${APP_DIR}/worker`,
    entrypoint: [NODE_BIN, "--enable-source-maps", `${APP_DIR}/worker/aria-worker.mjs`],
    env: { ...common, ARIA_MODEL_CACHE: MODELS_DIR },
    description: `${pkg.description}: the worker (CPU inference)`,
  },
};

/**
 * The worker with onnxruntime's CUDA execution provider and the CUDA libraries in a layer of their
 * own (`npm run images -- --cuda`); the NVIDIA container toolkit supplies the driver at run time.
 */
export const CUDA_WORKER: ImageSpec = {
  ...IMAGES.worker,
  env: { ...IMAGES.worker.env, LD_LIBRARY_PATH: CUDA_LIB_DIR },
  description: `${pkg.description}: the worker (CUDA inference)`,
  variant: "cuda",
};

const suffix = (spec: ImageSpec) => (spec.variant ? `-${spec.variant}` : "");

export const imageTag = (spec: ImageSpec) => `${spec.repository}:${VERSION}${suffix(spec)}`;

/** The image's name as a file name: aria-worker, aria-worker-cuda. */
export const imageFileName = (spec: ImageSpec) => `aria-${spec.name}${suffix(spec)}`;

/** org.opencontainers.image.* annotations as labels. */
export function imageLabels(spec: ImageSpec, revision: string): Record<string, string> {
  return {
    "org.opencontainers.image.title": `aria-${spec.name}`,
    "org.opencontainers.image.description": spec.description,
    "org.opencontainers.image.version": VERSION,
    "org.opencontainers.image.revision": revision,
  };
}
