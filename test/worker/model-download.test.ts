// Model sources fetched from a URL as a cluster fetches them: a diffusers folder served file by file
// by a slow, flaky loopback server, with the download's progress on the pool's status while it runs,
// and a server that stops sending failing the pool's model with the reason.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_POOL } from "../../crds/api.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { FlakyFileServer, type ServedFile } from "../fixtures/flaky-file-server.ts";
import {
  aria,
  BUILTIN_MODELS,
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  QUICK,
} from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll } from "../support/processes.ts";
import { waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let server: FlakyFileServer;
let base: string;
let cache: string;
const files: Array<{ path: string; sha256: string }> = [];

beforeAll(async () => {
  ns = await createNamespace("download");
  startOperator(ns);
  cache = await mkdtemp(join(tmpdir(), "aria-model-cache-"));
  // The built-in painter's folder, served as a model repo would serve it.
  const dir = await ensureBuiltinModel("aria-painter");
  const served = new Map<string, ServedFile>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name));
    const body = await readFile(join(dir, path));
    files.push({ path, sha256: createHash("sha256").update(body).digest("hex") });
    // The largest file comes slowly (about 6 s) and drops once: progress shows, and it resumes.
    const slow = path === "tokenizer/vocab.json";
    served.set(`/painter/${path}`, {
      body,
      behaviour: slow
        ? { chunkBytes: 16 * 1024, delayMs: 100, failFirst: { count: 1, afterBytes: 200_000, how: "drop" } }
        : {},
    });
    served.set(`/stalling/${path}`, {
      body,
      behaviour: slow ? { failFirst: { count: 99, afterBytes: 100_000, how: "stall" } } : {},
    });
  }
  server = new FlakyFileServer(served);
  base = await server.start();
});
afterAll(async () => {
  await stopAll();
  await server.stop();
  await rm(cache, { recursive: true, force: true });
});

const repoPool = (name: string, folder: string) =>
  createPool(ns, name, {
    replicas: 1,
    models: [
      { name: "aria-painter", role: "generator", source: { repo: { baseUrl: `${base}/${folder}`, files } } },
      ...BUILTIN_MODELS.filter((m) => m.role !== "generator"),
    ],
  });

describe("a model downloaded from a repo folder", () => {
  it("shows its progress on the pool, then renders; a restarted worker finds it in the cache", async () => {
    await repoPool("remote", "painter");
    const worker = startWorker(ns, "remote", "r1", ["--model-cache", cache]);
    const loading = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "remote"),
      (p) =>
        /downloading tokenizer\/vocab\.json: .* of .* \(\d+ %\)/.test(
          p.status?.models?.find((m) => m.name === "aria-painter")?.message ?? "",
        ),
      30_000,
      200,
    );
    expect(loading.status?.models?.find((m) => m.name === "aria-painter")?.state).toBe("Loading");
    await waitForWorkerReady(worker);
    await createArtwork(ns, "fetched", { ...QUICK, poolRef: { name: "remote" } });
    await eventually(() => getArtwork(ns, "fetched"), isReady, 30_000);
    // Resumed after the drop: the second request asked for the rest.
    expect(server.requests.get("/painter/tokenizer/vocab.json")?.[1]?.range).toMatch(/^bytes=\d+-$/);

    await worker.kill("SIGTERM");
    const before = [...server.requests.values()].flat().length;
    await waitForWorkerReady(startWorker(ns, "remote", "r2", ["--model-cache", cache]));
    expect([...server.requests.values()].flat().length).toBe(before);
  });

  it("fails the pool's model with the reason when the server stops sending", async () => {
    await repoPool("stalled", "stalling");
    // A cache of its own: the one above holds this very folder (its files' hashes) already.
    startWorker(ns, "stalled", "s1", [
      "--model-cache",
      join(cache, "other"),
      "--download-stall-seconds",
      "1",
      "--download-attempts",
      "2",
    ]);
    const pool = await eventually(
      () => aria().get<ModelPool>(MODEL_POOL, ns, "stalled"),
      (p) => p.status?.models?.find((m) => m.name === "aria-painter")?.state === "Failed",
      30_000,
    );
    expect(pool.status?.models?.find((m) => m.name === "aria-painter")?.message).toMatch(
      new RegExp(
        `^model aria-painter: GET ${base}/stalling/tokenizer/vocab.json stalled: no data for 1 s after [\\d.]+ KiB \\(gave up after 2 attempts\\)$`,
      ),
    );
    expect(pool.status?.conditions?.find((c) => c.type === "Degraded")).toMatchObject({ status: "True" });
  });
});
