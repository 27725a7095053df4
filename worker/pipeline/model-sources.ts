// Turns a pool's model sources into local directories: built-in models are built (cached),
// paths are used as they are, PVCs are where the pod mounts them, URLs are downloaded once and
// checked against their sha256.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PoolModel } from "../../crds/model-pool.ts";
import { MODELS_MOUNT } from "../../crds/worker-protocol.ts";
import { ensureBuiltinModel, isBuiltinModel } from "../../models/builtin.ts";

const run = promisify(execFile);

export class ModelSourceError extends Error {
  override name = "ModelSourceError";
}

function downloadCache() {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "aria", "downloads");
}

export async function resolveModelDir(model: PoolModel): Promise<string> {
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
  if (source.url !== undefined) return download(model.name, source.url.url, source.url.sha256);
  throw new ModelSourceError(`model ${model.name}: source sets none of builtin, path, pvc, url`);
}

/** Downloads to a folder named by the sha256; an archive (.tar, .tar.gz, .tgz) is unpacked there. */
async function download(name: string, url: string, sha256: string): Promise<string> {
  const dir = join(downloadCache(), sha256);
  if (
    await stat(join(dir, ".complete")).then(
      () => true,
      () => false,
    )
  )
    return dir;
  const res = await fetch(url);
  if (!res.ok) throw new ModelSourceError(`model ${name}: GET ${url} answered ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256) {
    throw new ModelSourceError(
      `model ${name}: ${url} has sha256 ${actual}, but source.url.sha256 is ${sha256}`,
    );
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const archive = /\.(tar|tar\.gz|tgz)$/.test(new URL(url).pathname);
  const file = join(tmp, archive ? "download.tar" : "model.onnx");
  await writeFile(file, bytes);
  if (archive) {
    await run("tar", ["-xf", file, "-C", tmp]);
    await rm(file);
  }
  await writeFile(join(tmp, ".complete"), sha256);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}
