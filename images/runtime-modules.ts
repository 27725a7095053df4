// The native packages (external to the bundles): copied from node_modules with only what runs on
// linux-x64 glibc, so an image carries one platform's binaries and no build-time files.
import { cp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** sharp with its runtime dependencies (it loads its binary from @img): the operator's thumbnails and exports, the worker's encoding. */
const SHARP = [
  "sharp",
  "@img/sharp-linux-x64",
  "@img/sharp-libvips-linux-x64",
  "@img/colour",
  "detect-libc",
  "semver",
];
/** onnxruntime-node's own dependencies (adm-zip, global-agent) serve only its install script. */
const ONNXRUNTIME = ["onnxruntime-node", "onnxruntime-common"];

/** The SVG tracer of the operator's exports (a Rust binding, one file per platform). */
const VECTORIZER = ["@neplex/vectorizer", "@neplex/vectorizer-linux-x64-gnu"];

/** What each process's image carries beside its bundle. */
export const RUNTIME_PACKAGES = {
  operator: [...SHARP, ...VECTORIZER],
  worker: [...ONNXRUNTIME, ...SHARP],
} as const;

/** Files no running process opens. */
const DROPPED = /(\.d\.[cm]?ts|\.map|\.md)$|^(script|install|src|docs?)$/;

/** onnxruntime-node ships every platform's binding under bin/napi-v6/<os>/<arch>. */
export const ORT_BINARIES = join("onnxruntime-node", "bin", "napi-v6");

export async function copyRuntimeModules(
  from: string,
  to: string,
  packages: readonly string[] = RUNTIME_PACKAGES.worker,
): Promise<void> {
  for (const name of packages) {
    await cp(join(from, name), join(to, name), {
      recursive: true,
      filter: (src) => !DROPPED.test(src.slice(src.lastIndexOf("/") + 1)),
    });
  }
  if (!packages.includes("onnxruntime-node")) return;
  const ort = join(to, ORT_BINARIES);
  for (const os of await readdir(ort)) {
    if (os !== "linux") await rm(join(ort, os), { recursive: true });
  }
  for (const arch of await readdir(join(ort, "linux"))) {
    if (arch !== "x64") await rm(join(ort, "linux", arch), { recursive: true });
  }
}
