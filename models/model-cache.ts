import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  name: string;
  role: string;
  builder: string;
  files: ManifestFile[];
}

/** `$ARIA_MODEL_CACHE`, else `${XDG_CACHE_HOME:-~/.cache}/aria/models`. */
export function modelCacheRoot(): string {
  if (process.env.ARIA_MODEL_CACHE) return process.env.ARIA_MODEL_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "aria", "models");
}

const MODELS_DIR = dirname(fileURLToPath(import.meta.url));

let builderDigest: Promise<string> | undefined;

/**
 * Content hash of the builders (every source under models/ except tests and their helpers, plus the BPE file): a change to
 * how weights are constructed gets a new cache directory instead of a stale model.
 */
export function builderHash(): Promise<string> {
  builderDigest ??= (async () => {
    const hash = createHash("sha256");
    for (const file of await listFiles(MODELS_DIR)) {
      const path = relative(MODELS_DIR, file);
      const builderSource = path.endsWith(".ts") && !path.includes("test");
      if (!builderSource && !path.endsWith(".gz")) continue;
      hash.update(`${path}\0`).update(await readFile(file));
    }
    return hash.digest("hex").slice(0, 12);
  })();
  return builderDigest;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Returns `<root>/<name>-<builder hash>/`, building it first if missing. The build runs in a private
 * temporary directory that is renamed into place only once complete with its manifest, so concurrent
 * processes never see half-written models (the loser of a race discards its copy).
 */
export function ensureBuilt(
  name: string,
  role: string,
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const key = `${modelCacheRoot()}\0${name}`;
  let pending = inFlight.get(key);
  if (!pending) {
    pending = buildOnce(name, role, build).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function buildOnce(name: string, role: string, build: (dir: string) => Promise<void>): Promise<string> {
  const builder = await builderHash();
  const root = modelCacheRoot();
  const dir = join(root, `${name}-${builder}`);
  if (await exists(join(dir, "manifest.json"))) return dir;
  await mkdir(root, { recursive: true });
  const staging = `${dir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(staging);
    await build(staging);
    await writeManifest(staging, { name, role, builder, files: await fileDigests(staging) });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === "ENOTEMPTY" || code === "EEXIST") && (await exists(join(dir, "manifest.json")))) return dir;
    throw error;
  }
  return dir;
}

export async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
}

async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** sha256 of every file, sorted by path, streamed so the 1 GB variant needs no 1 GB buffer. */
async function fileDigests(dir: string): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const file of await listFiles(dir)) {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    files.push({ path: relative(dir, file), bytes: (await stat(file)).size, sha256: hash.digest("hex") });
  }
  return files;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
