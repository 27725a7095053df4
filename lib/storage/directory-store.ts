import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ImageStore, StoredObject } from "./image-store.ts";
import type { CheckableStore, StoreHealth } from "./store-health.ts";
import { StorageError } from "./storage-error.ts";

export interface DirectoryStoreOptions {
  /** checkHealth fails below this much free space (default 512 MiB: a few hundred full-size images). */
  minFreeBytes?: number;
}

const EXTENSION = /^[a-z0-9]{1,8}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const DEFAULT_MIN_FREE_BYTES = 512 * 1024 * 1024;

/**
 * The default image store: a directory (typically a PVC shared by workers and the operator's
 * gallery) laid out as `<root>/<sha[0:2]>/<sha>.<ext>`. URIs are `file://` URLs of the absolute
 * path, which any process mounting the same volume at the same path can open directly.
 */
export class DirectoryStore implements ImageStore, CheckableStore {
  readonly root: string;
  private readonly minFreeBytes: number;

  constructor(root: string, options: DirectoryStoreOptions = {}) {
    this.root = path.resolve(root);
    this.minFreeBytes = options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES;
  }

  async put(bytes: Buffer, ext: string): Promise<StoredObject> {
    if (!EXTENSION.test(ext)) {
      throw new Error(
        `image extension must be 1–8 lower-case letters or digits (png, webp, avif, jpeg, tiff), got ${JSON.stringify(ext)}`,
      );
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const file = path.join(this.root, sha256.slice(0, 2), `${sha256}.${ext}`);
    const stored = { uri: pathToFileURL(file).href, sha256, bytes: bytes.length };
    // Same content, same name: if it is already there (and complete, since writes are atomic) we are done.
    if ((await sizeOf(file)) === bytes.length) return { ...stored, created: false };
    // Write beside the target and rename: readers never see a half-written image, and a crash
    // mid-write leaves only a temp file rather than a truncated image under the real name.
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw StorageError.from(error, `could not store ${path.basename(file)} under ${this.root}`);
    }
    return { ...stored, created: true };
  }

  async get(uri: string): Promise<Buffer> {
    return readFile(this.pathOf(uri));
  }

  async delete(uri: string): Promise<void> {
    await rm(this.pathOf(uri), { force: true });
  }

  async exists(uri: string): Promise<boolean> {
    return (await sizeOf(this.pathOf(uri))) !== undefined;
  }

  /**
   * Removes temp files older than `olderThanMs` (a put of a process killed mid-write leaves one);
   * younger ones may belong to a put in progress on another worker sharing the volume. Returns how
   * many went.
   */
  async removeStaleTemps(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const dirs = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const dir of dirs) {
      if (!dir.isDirectory()) continue;
      const names = await readdir(path.join(this.root, dir.name)).catch(() => []);
      for (const name of names) {
        if (!name.endsWith(".tmp")) continue;
        const file = path.join(this.root, dir.name, name);
        const info = await stat(file).catch(() => undefined);
        if (info && now - info.mtimeMs > olderThanMs) {
          await rm(file, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  /** For the worker's readiness: the root must be writable and have room for more images. */
  async checkHealth(): Promise<StoreHealth> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = path.join(this.root, `.health-${randomBytes(6).toString("hex")}`);
      const handle = await open(probe, "wx");
      await handle.close();
      await unlink(probe);
      const fs = await statfs(this.root);
      const freeBytes = fs.bavail * fs.bsize;
      if (freeBytes < this.minFreeBytes) {
        return {
          ok: false,
          problem: "full",
          reason: `only ${formatBytes(freeBytes)} free under ${this.root}, need at least ${formatBytes(this.minFreeBytes)}`,
          freeBytes,
        };
      }
      return { ok: true, freeBytes };
    } catch (error) {
      const freeBytes = await statfs(this.root).then(
        (fs) => fs.bavail * fs.bsize,
        () => 0,
      );
      const code = (error as NodeJS.ErrnoException).code;
      return {
        ok: false,
        // Without room for a directory entry the disk is as good as full; anything else is a fault.
        problem: code === "ENOSPC" || code === "EDQUOT" ? "full" : "unwritable",
        reason: `${this.root} is not writable: ${(error as Error).message}`,
        freeBytes,
      };
    }
  }

  /** Accepts only URIs this store issued, so a crafted URI cannot read or delete files elsewhere. */
  private pathOf(uri: string): string {
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      throw new Error(`not a file:// image URI: ${uri}`);
    }
    const relative = path.relative(this.root, file);
    const [dir, name, ...rest] = relative.split(path.sep);
    const sha = name?.split(".")[0] ?? "";
    if (rest.length > 0 || !SHA256.test(sha) || dir !== sha.slice(0, 2) || !EXTENSION.test(name!.slice(65))) {
      throw new Error(`image URI ${uri} is not inside the store at ${this.root}`);
    }
    return file;
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function formatBytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(0)} MiB`;
}
