// The worker's native packages (external to its bundle): copied from node_modules with only what
// runs on linux-x64 glibc, so the image carries one platform's binaries and no build-time files.
import { cp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * onnxruntime-node and sharp with their runtime dependencies. onnxruntime-node's own dependencies
 * (adm-zip, global-agent) serve only its install script; sharp loads its binary from @img.
 */
const PACKAGES = [
  "onnxruntime-node",
  "onnxruntime-common",
  "sharp",
  "@img/sharp-linux-x64",
  "@img/sharp-libvips-linux-x64",
  "@img/colour",
  "detect-libc",
  "semver",
];

/** Files no running process opens. */
const DROPPED = /(\.d\.[cm]?ts|\.map|\.md)$|^(script|install|src|docs?)$/;

/** onnxruntime-node ships every platform's binding under bin/napi-v6/<os>/<arch>. */
export const ORT_BINARIES = join("onnxruntime-node", "bin", "napi-v6");

export async function copyRuntimeModules(from: string, to: string): Promise<void> {
  for (const name of PACKAGES) {
    await cp(join(from, name), join(to, name), {
      recursive: true,
      filter: (src) => !DROPPED.test(src.slice(src.lastIndexOf("/") + 1)),
    });
  }
  const ort = join(to, ORT_BINARIES);
  for (const os of await readdir(ort)) {
    if (os !== "linux") await rm(join(ort, os), { recursive: true });
  }
  for (const arch of await readdir(join(ort, "linux"))) {
    if (arch !== "x64") await rm(join(ort, "linux", arch), { recursive: true });
  }
}
