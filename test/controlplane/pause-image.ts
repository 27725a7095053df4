// The pod sandbox image containerd starts first in every pod (its sandbox_image), built from
// ./pause with crane, since the upstream registry.k8s.io/pause cannot be pulled here.
import { execFile } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureCrane, startRegistry } from "../../images/crane.ts";
import { packLayer } from "../../images/layer.ts";
import { ariaCacheDir, ensureGoProgram } from "../../tools/go-tool.ts";

const run = promisify(execFile);

export const PAUSE_IMAGE = "aria.dev/pause:1";

/** The pause image's docker-archive tarball, built once per version of its source. */
export async function ensurePauseImage(): Promise<string> {
  const exe = await ensureGoProgram("pause", fileURLToPath(new URL("./pause", import.meta.url)));
  const tarball = join(ariaCacheDir(), "images", `${basename(exe)}.tar`);
  if (
    await access(tarball).then(
      () => true,
      () => false,
    )
  )
    return tarball;
  await mkdir(join(ariaCacheDir(), "images"), { recursive: true });
  const crane = await ensureCrane();
  const work = await mkdtemp(join(tmpdir(), "aria-pause-"));
  const registry = await startRegistry(crane);
  try {
    await copyFile(exe, join(work, "pause"));
    const layer = await packLayer(work, ["pause"], join(work, "layer.tar"), "0");
    const staged = `${registry.host}/pause:build`;
    await run(crane, ["append", "--oci-empty-base", "-f", layer, "-t", staged]);
    // Renamed into place, so a concurrent build never leaves half a tarball.
    const partial = `${tarball}.${process.pid}`;
    await run(crane, [
      "mutate",
      staged,
      "--entrypoint=/pause",
      "--user=65535:65535",
      "--set-platform=linux/amd64",
      "-t",
      PAUSE_IMAGE,
      "-o",
      partial,
    ]);
    await rename(partial, tarball);
  } finally {
    registry.stop();
    await rm(work, { recursive: true, force: true });
  }
  return tarball;
}
