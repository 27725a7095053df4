import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TmpfsVolume } from "../../test/fixtures/tmpfs-volume.ts";
import { DirectoryStore } from "./directory-store.ts";
import { StorageError } from "./storage-error.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "aria-store-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const bytes = Buffer.from("not really a png, but bytes all the same");
const sha = createHash("sha256").update(bytes).digest("hex");

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("DirectoryStore", () => {
  it("stores content-addressed under <root>/<sha[0:2]>/<sha>.<ext> and returns a file:// URI", async () => {
    const store = new DirectoryStore(root);
    const stored = await store.put(bytes, "png");
    const file = path.join(root, sha.slice(0, 2), `${sha}.png`);
    expect(stored).toEqual({
      uri: pathToFileURL(file).href,
      sha256: sha,
      bytes: bytes.length,
      created: true,
    });
    expect(await readFile(file)).toEqual(bytes);
    expect(await store.get(stored.uri)).toEqual(bytes);
  });

  it("is idempotent: the same bytes twice (even concurrently) give one file and the same URI", async () => {
    const store = new DirectoryStore(root);
    const results = await Promise.all([1, 2, 3, 4].map(() => store.put(bytes, "png")));
    expect(new Set(results.map((r) => r.uri)).size).toBe(1);
    expect(await store.put(bytes, "png")).toEqual({ ...results[0], created: false });
    // No temp files left behind.
    expect(await allFiles(root)).toEqual([path.join(sha.slice(0, 2), `${sha}.png`)]);
  });

  it("keeps formats of the same bytes apart by extension", async () => {
    const store = new DirectoryStore(root);
    const png = await store.put(bytes, "png");
    const webp = await store.put(bytes, "webp");
    expect(png.uri).not.toBe(webp.uri);
    expect(png.sha256).toBe(webp.sha256);
  });

  it("reports existence and deletes, and deleting twice is fine", async () => {
    const store = new DirectoryStore(root);
    const { uri } = await store.put(bytes, "avif");
    expect(await store.exists(uri)).toBe(true);
    await store.delete(uri);
    expect(await store.exists(uri)).toBe(false);
    await expect(store.delete(uri)).resolves.toBeUndefined();
    await expect(store.get(uri)).rejects.toThrow(/ENOENT/);
  });

  it("refuses URIs it did not issue, so a crafted URI cannot reach other files", async () => {
    const store = new DirectoryStore(root);
    await writeFile(path.join(root, "secret.txt"), "x");
    for (const uri of [
      "file:///etc/passwd",
      pathToFileURL(path.join(root, "secret.txt")).href,
      pathToFileURL(path.join(root, sha.slice(0, 2), "..", "..", "etc", `${sha}.png`)).href,
      "s3://bucket/key.png",
    ]) {
      await expect(store.get(uri)).rejects.toThrow(/not inside the store|not a file/);
      await expect(store.delete(uri)).rejects.toThrow(/not inside the store|not a file/);
    }
  });

  it("rejects an extension that is not a plain file extension", async () => {
    await expect(new DirectoryStore(root).put(bytes, "../png")).rejects.toThrow(/image extension/);
  });

  it("removes temp files a killed writer left behind, but not one a put may still be writing", async () => {
    const store = new DirectoryStore(root);
    const kept = await store.put(bytes, "png");
    await mkdir(path.join(root, "ab"), { recursive: true });
    const stale = path.join(root, "ab", `${"ab".repeat(32)}.png.0123456789ab.tmp`);
    const fresh = path.join(root, "ab", `${"ab".repeat(32)}.png.ba9876543210.tmp`);
    await writeFile(stale, "half an image");
    await writeFile(fresh, "half an image");
    const hourAgo = new Date(Date.now() - 60 * 60_000);
    await utimes(stale, hourAgo, hourAgo);
    expect(await store.removeStaleTemps(10 * 60_000)).toBe(1);
    expect((await allFiles(root)).sort()).toEqual(
      [path.relative(root, fresh), path.relative(root, fileURLToPath(kept.uri))].sort(),
    );
  });

  it("reports healthy with the free space when the root is writable", async () => {
    const health = await new DirectoryStore(path.join(root, "images"), { minFreeBytes: 1 }).checkHealth();
    expect(health.ok).toBe(true);
    expect(health.freeBytes).toBeGreaterThan(0);
    expect(await allFiles(root)).toEqual([]);
  });

  it("reports unhealthy when free space is below the minimum", async () => {
    const health = await new DirectoryStore(root, { minFreeBytes: Number.MAX_SAFE_INTEGER }).checkHealth();
    expect(health.ok).toBe(false);
    expect(health.reason).toMatch(/MiB free under .*need at least/);
  });

  it("reports unhealthy when the root cannot be created or written", async () => {
    const blocker = path.join(root, "a-file");
    await writeFile(blocker, "");
    const health = await new DirectoryStore(path.join(blocker, "images")).checkHealth();
    expect(health.ok).toBe(false);
    expect(health.reason).toMatch(/is not writable/);
  });
});

describe.skipIf(!(await TmpfsVolume.available()))("DirectoryStore on a real small volume", () => {
  let volume: TmpfsVolume;
  beforeEach(async () => {
    volume = await TmpfsVolume.mount(1024);
  });
  afterEach(async () => {
    await volume.unmount();
  });
  const image = Buffer.alloc(200 * 1024, 3);

  it("fails a put on a full disk as a retryable StorageError and leaves no temp file", async () => {
    const store = new DirectoryStore(path.join(volume.dir, "images"), { minFreeBytes: 1 });
    await store.put(Buffer.from("an earlier image"), "png");
    await volume.fill();
    const error = await store.put(image, "png").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ problem: "full", message: expect.stringMatching(/ENOSPC/) });
    expect((await allFiles(volume.dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const health = await store.checkHealth();
    expect(health).toMatchObject({ ok: false, problem: "full", freeBytes: 0 });
    expect(health.reason).toMatch(/only 0 MiB free under .*need at least/);
    // Room again: healthy, and the same put succeeds.
    await volume.drain();
    expect((await store.checkHealth()).ok).toBe(true);
    expect((await store.put(image, "png")).created).toBe(true);
  });

  it("reports a read-only volume as unwritable, and a put on it as a retryable StorageError", async () => {
    const store = new DirectoryStore(path.join(volume.dir, "images"), { minFreeBytes: 1 });
    await store.put(Buffer.from("an earlier image"), "png");
    await volume.setReadOnly(true);
    const health = await store.checkHealth();
    expect(health).toMatchObject({ ok: false, problem: "unwritable" });
    expect(health.reason).toMatch(/is not writable: .*EROFS/);
    const error = await store.put(image, "png").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "StorageError", problem: "unwritable" });
    await volume.setReadOnly(false);
    expect((await store.checkHealth()).ok).toBe(true);
  });
});
