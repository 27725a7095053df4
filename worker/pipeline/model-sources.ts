// Turns a pool's model sources into local directories: built-in models are built (cached),
// paths are used as they are, PVCs are where the pod mounts them, URLs and repo folders are
// downloaded once into the model cache (a PVC or node path in a cluster, so a restart does not
// download again) and checked against their sha256.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { PoolModel } from "../../crds/model-pool.ts";
import { MODELS_MOUNT } from "../../crds/worker-protocol.ts";
import { ensureBuiltinModel, isBuiltinModel } from "../../models/builtin.ts";
import {
  downloadFile,
  DownloadError,
  formatBytes,
  type DownloadProgress,
} from "../download/resumable-download.ts";

const run = promisify(execFile);

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

export interface ModelSourceOptions {
  /** Where downloads are kept; a partial file there is resumed. */
  cacheDir: string;
  /** A download with no byte for this long is abandoned (and retried). */
  stallMs: number;
  /** Attempts per file, each resuming where the last stopped. */
  attempts: number;
  /** "downloading unet/model.onnx: 1.2 GiB of 6.9 GiB (17 %)", at most once a second. */
  onProgress?: (message: string) => void;
}

export function defaultModelCache() {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "aria", "downloads");
}

export async function resolveModelDir(model: PoolModel, o: ModelSourceOptions): Promise<string> {
  const { source } = model;
  if (source.builtin !== undefined) {
    if (!isBuiltinModel(source.builtin)) {
      throw new ModelSourceError(
        `model ${model.name}: source.builtin "${source.builtin}" is not a built-in model`,
      );
    }
    return ensureBuiltinModel(source.builtin);
  }
  if (source.path !== undefined) return source.path;
  if (source.pvc !== undefined) return join(MODELS_MOUNT, model.name);
  try {
    if (source.url !== undefined) return await downloadArchive(source.url.url, source.url.sha256, o);
    if (source.repo !== undefined) return await downloadRepo(source.repo, o);
  } catch (error) {
    if (error instanceof DownloadError) throw new ModelSourceError(`model ${model.name}: ${error.message}`);
    throw error;
  }
  throw new ModelSourceError(`model ${model.name}: source sets none of builtin, path, pvc, url, repo`);
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** One file or archive (.tar, .tar.gz, .tgz, unpacked) into a folder named by its sha256. */
async function downloadArchive(url: string, sha256: string, o: ModelSourceOptions): Promise<string> {
  const dir = join(o.cacheDir, sha256);
  if (await exists(join(dir, ".complete"))) return dir;
  const archive = /\.(tar|tar\.gz|tgz)$/.test(new URL(url).pathname);
  const file = join(o.cacheDir, "files", sha256);
  await fetchOnce(url, file, sha256, archive ? "the archive" : "model.onnx", o);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  if (archive) {
    await run("tar", ["-xf", file, "-C", tmp]);
    await rm(file);
  } else {
    await rename(file, join(tmp, "model.onnx"));
  }
  return publish(tmp, dir, sha256);
}

/** A folder of several files (a diffusers model set), each fetched from baseUrl/path and checked. */
async function downloadRepo(
  repo: NonNullable<PoolModel["source"]["repo"]>,
  o: ModelSourceOptions,
): Promise<string> {
  const files = [...repo.files].sort((a, b) => a.path.localeCompare(b.path));
  const key = createHash("sha256")
    .update(JSON.stringify(files.map((f) => [f.path, f.sha256])))
    .digest("hex");
  const dir = join(o.cacheDir, key);
  if (await exists(join(dir, ".complete"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const base = repo.baseUrl.replace(/\/+$/, "");
  for (const f of files) {
    // Kept by content, so an interrupted folder resumes file by file and shared files download once.
    const file = join(o.cacheDir, "files", f.sha256);
    const url = `${base}/${f.path.split("/").map(encodeURIComponent).join("/")}`;
    await fetchOnce(url, file, f.sha256, f.path, o);
    await mkdir(dirname(join(tmp, f.path)), { recursive: true });
    await rename(file, join(tmp, f.path));
  }
  return publish(tmp, dir, key);
}

async function fetchOnce(url: string, file: string, sha256: string, label: string, o: ModelSourceOptions) {
  if (await exists(file)) return;
  await mkdir(dirname(file), { recursive: true });
  let reported = 0;
  const onProgress = (p: DownloadProgress) => {
    const now = Date.now();
    if (!o.onProgress || (now - reported < 1000 && p.bytes !== p.totalBytes)) return;
    reported = now;
    const of =
      p.totalBytes !== undefined
        ? ` of ${formatBytes(p.totalBytes)} (${Math.floor((100 * p.bytes) / Math.max(1, p.totalBytes))} %)`
        : "";
    o.onProgress(`downloading ${label}: ${formatBytes(p.bytes)}${of}`);
  };
  await downloadFile(url, file, sha256, { stallMs: o.stallMs, attempts: o.attempts, onProgress });
}

async function publish(tmp: string, dir: string, key: string): Promise<string> {
  await writeFile(join(tmp, ".complete"), key);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}
