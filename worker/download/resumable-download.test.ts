import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejection } from "../../test/support/rejection.ts";
import { FlakyFileServer, type Behaviour } from "../../test/fixtures/flaky-file-server.ts";
import { downloadFile, DownloadError, type DownloadProgress } from "./resumable-download.ts";

const body = randomBytes(1024 * 1024 + 17);
const sha256 = createHash("sha256").update(body).digest("hex");
const FAST = { initialMs: 10, maxMs: 20 };

let dir: string;
let server: FlakyFileServer | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "aria-download-"));
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function serve(behaviour: Behaviour = {}) {
  server = new FlakyFileServer(new Map([["/unet/model.onnx", { body, behaviour }]]));
  return `${await server.start()}/unet/model.onnx`;
}

const failure = (promise: Promise<unknown>) => rejection(promise, DownloadError);

describe("downloadFile", () => {
  it("streams a slowly served file to disk with progress, checked against its sha256", async () => {
    const url = await serve({ chunkBytes: 128 * 1024, delayMs: 5 });
    const progress: DownloadProgress[] = [];
    await downloadFile(url, join(dir, "model.onnx"), sha256, {
      stallMs: 2000,
      attempts: 1,
      onProgress: (p) => progress.push(p),
    });
    expect((await readFile(join(dir, "model.onnx"))).equals(body)).toBe(true);
    expect(progress.at(-1)).toEqual({ bytes: body.length, totalBytes: body.length });
    const bytes = progress.map((p) => p.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(new Set(bytes).size).toBeGreaterThan(5);
  });

  it("resumes with a Range request after the connection drops, fetching each byte once", async () => {
    const url = await serve({ failFirst: { count: 2, afterBytes: 400 * 1024, how: "drop" } });
    await downloadFile(url, join(dir, "model.onnx"), sha256, { stallMs: 2000, attempts: 3, backoff: FAST });
    expect((await readFile(join(dir, "model.onnx"))).equals(body)).toBe(true);
    const ranges = server!.requests.get("/unet/model.onnx")!.map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[2]!)![0])).toBeGreaterThan(Number(/\d+/.exec(ranges[1]!)![0]));
  });

  it("resumes what a previous process left behind", async () => {
    const url = await serve();
    await writeFile(join(dir, "model.onnx.partial"), body.subarray(0, 300_000));
    await downloadFile(url, join(dir, "model.onnx"), sha256, { stallMs: 2000, attempts: 1 });
    expect((await readFile(join(dir, "model.onnx"))).equals(body)).toBe(true);
    expect(server!.requests.get("/unet/model.onnx")).toEqual([{ range: "bytes=300000-" }]);
  });

  it("starts afresh when the server ignores Range", async () => {
    const url = await serve({ ignoreRange: true });
    await writeFile(join(dir, "model.onnx.partial"), body.subarray(0, 300_000));
    await downloadFile(url, join(dir, "model.onnx"), sha256, { stallMs: 2000, attempts: 1 });
    expect((await readFile(join(dir, "model.onnx"))).equals(body)).toBe(true);
  });

  it("gives up on a server that stops sending, saying it stalled and how far it got", async () => {
    const url = await serve({ failFirst: { count: 9, afterBytes: 256 * 1024, how: "stall" } });
    const error = await failure(
      downloadFile(url, join(dir, "model.onnx"), sha256, { stallMs: 300, attempts: 2, backoff: FAST }),
    );
    expect(error.message).toBe(
      `GET ${url} stalled: no data for 0.3 s after 512 KiB (gave up after 2 attempts)`,
    );
    // What arrived is kept for the next try.
    expect((await stat(join(dir, "model.onnx.partial"))).size).toBe(512 * 1024);
  });

  it("refuses bytes that do not match the sha256, keeps nothing, and does not retry", async () => {
    const url = await serve({ lie: randomBytes(body.length) });
    const error = await failure(
      downloadFile(url, join(dir, "model.onnx"), sha256, { stallMs: 2000, attempts: 3, backoff: FAST }),
    );
    expect(error.message).toMatch(new RegExp(`^${url} has sha256 [0-9a-f]{64}, but ${sha256} was expected$`));
    expect(error.retryable).toBe(false);
    await expect(stat(join(dir, "model.onnx.partial"))).rejects.toThrow();
    await expect(stat(join(dir, "model.onnx"))).rejects.toThrow();
  });

  it("does not retry a 404, and retries a 503 until it gives up", async () => {
    const url = await serve();
    const missing = await failure(
      downloadFile(`${url}.missing`, join(dir, "x"), sha256, { stallMs: 2000, attempts: 3, backoff: FAST }),
    );
    expect(missing.message).toBe(`GET ${url}.missing answered 404 Not Found`);
    expect(server!.requests.get("/unet/model.onnx.missing")).toHaveLength(1);
    await server!.stop();
    const busy = await serve({ status: 503 });
    const unavailable = await failure(
      downloadFile(busy, join(dir, "y"), sha256, { stallMs: 2000, attempts: 3, backoff: FAST }),
    );
    expect(unavailable.message).toBe(
      `GET ${busy} answered 503 Service Unavailable (gave up after 3 attempts)`,
    );
  });
});
