import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PoolModel } from "../../crds/model-pool.ts";
import { FlakyFileServer, type ServedFile } from "../../test/fixtures/flaky-file-server.ts";
import { rejection } from "../../test/support/rejection.ts";
import { ModelSourceError, resolveModelDir } from "./model-sources.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const FILES: Record<string, Buffer> = {
  "model_index.json": Buffer.from('{"_class_name": "ORTStableDiffusionXLPipeline"}'),
  "unet/model.onnx": randomBytes(3 * 1024 * 1024),
  "text_encoder_2/model.onnx": randomBytes(512 * 1024),
};

let cacheDir: string;
let server: FlakyFileServer;
let base: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "aria-cache-"));
  const served = new Map<string, ServedFile>(
    Object.entries(FILES).map(([path, body]) => [
      `/sdxl/resolve/main/${path}`,
      // The big file is slow and drops once, as a real mirror might.
      path.startsWith("unet")
        ? {
            body,
            behaviour: {
              chunkBytes: 64 * 1024,
              delayMs: 20,
              failFirst: { count: 1, afterBytes: 1024 * 1024, how: "drop" },
            },
          }
        : { body },
    ]),
  );
  server = new FlakyFileServer(served);
  base = `${await server.start()}/sdxl/resolve/main`;
});
afterEach(async () => {
  await server.stop();
  await rm(cacheDir, { recursive: true, force: true });
});

const repoModel = (files = Object.entries(FILES)): PoolModel => ({
  name: "sdxl",
  role: "generator",
  source: { repo: { baseUrl: base, files: files.map(([path, body]) => ({ path, sha256: sha(body) })) } },
});

describe("a repo model source", () => {
  it("downloads every file of the folder, reports progress, and is found in the cache after a restart", async () => {
    const messages: string[] = [];
    const options = { cacheDir, stallMs: 2000, attempts: 3, onProgress: (m: string) => messages.push(m) };
    const dir = await resolveModelDir(repoModel(), options);
    for (const [path, body] of Object.entries(FILES)) {
      expect((await readFile(join(dir, path))).equals(body), path).toBe(true);
    }
    expect(messages).toContain("downloading unet/model.onnx: 3.0 MiB of 3.0 MiB (100 %)");
    expect(
      messages.some((m) => /^downloading unet\/model\.onnx: [\d.]+ (KiB|MiB) of 3\.0 MiB \(\d+ %\)$/.test(m)),
    ).toBe(true);

    const before = [...server.requests.values()].flat().length;
    expect(await resolveModelDir(repoModel(), options)).toBe(dir);
    expect([...server.requests.values()].flat().length).toBe(before);
  });

  it("fails the model naming the file whose bytes do not match", async () => {
    const wrong = Object.entries(FILES).map(([p, b]): [string, Buffer] => [
      p,
      p === "model_index.json" ? Buffer.from("{}") : b,
    ]);
    const error = await rejection(
      resolveModelDir(repoModel(wrong), { cacheDir, stallMs: 2000, attempts: 1 }),
      ModelSourceError,
    );
    expect(error.message).toMatch(
      new RegExp(
        `^model sdxl: ${base}/model_index.json has sha256 [0-9a-f]{64}, but ${sha(Buffer.from("{}"))} was expected$`,
      ),
    );
  });
});
