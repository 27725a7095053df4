// One file fetched over HTTP(S) the way multi-gigabyte model weights need: streamed to disk (never
// whole in memory), resumed with a Range request after a dropped connection or
// a restart (the partial file is kept beside the destination), abandoned with a clear reason when the
// server stops sending, and checked against its sha256 before it takes the destination's name (hashed
// once whole, which a resumed file needs anyway).
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { backoffDelay, sleep, type Backoff } from "../../lib/kube/backoff.ts";

export interface DownloadProgress {
  bytes: number;
  /** From Content-Length / Content-Range; absent when the server does not say. */
  totalBytes?: number;
}

export interface DownloadOptions {
  /** With no byte for this long (waiting for headers or mid-body), the attempt is abandoned. */
  stallMs: number;
  /** Attempts in all, each resuming where the last one stopped. */
  attempts: number;
  backoff?: Backoff;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

/** A download that cannot succeed as asked: the reason names the URL and what went wrong. */
export class DownloadError extends Error {
  override name = "DownloadError";
  /** Whether a later attempt may succeed (a dropped connection, a stall, a 5xx), or never (404, a wrong hash). */
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const RETRY_BACKOFF: Backoff = { initialMs: 500, maxMs: 10_000 };

/** Downloads `url` to `dest`, verified against `sha256`; resumes from `dest.partial` if one is there. */
export async function downloadFile(
  url: string,
  dest: string,
  sha256: string,
  o: DownloadOptions,
): Promise<void> {
  const partial = `${dest}.partial`;
  let last: DownloadError | undefined;
  for (let attempt = 0; attempt < o.attempts; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, o.backoff ?? RETRY_BACKOFF), o.signal);
    if (o.signal?.aborted) throw new DownloadError(`GET ${url} was cancelled`, false);
    try {
      await fetchInto(url, partial, o);
      last = undefined;
      break;
    } catch (error) {
      last = asDownloadError(url, error);
      if (!last.retryable) break;
    }
  }
  if (last) {
    const tries = o.attempts > 1 && last.retryable ? ` (gave up after ${o.attempts} attempts)` : "";
    throw new DownloadError(`${last.message}${tries}`, last.retryable);
  }
  const actual = await hashFile(partial);
  if (actual !== sha256) {
    // Resuming from these bytes could never give the right file.
    await rm(partial, { force: true });
    throw new DownloadError(`${url} has sha256 ${actual}, but ${sha256} was expected`, false);
  }
  await rename(partial, dest);
}

/** One attempt: appends what the server sends to `partial`, from its current length on. */
async function fetchInto(url: string, partial: string, o: DownloadOptions): Promise<void> {
  const have = await stat(partial).then(
    (s) => s.size,
    () => 0,
  );
  const abort = new AbortController();
  const onCancel = () => abort.abort(new DownloadError(`GET ${url} was cancelled`, false));
  o.signal?.addEventListener("abort", onCancel, { once: true });
  let received = have;
  let timer: NodeJS.Timeout | undefined;
  const stalled = () =>
    new DownloadError(
      `GET ${url} stalled: no data for ${o.stallMs / 1000} s after ${formatBytes(received)}`,
      true,
    );
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(stalled()), o.stallMs);
  };
  try {
    arm();
    const res = await fetch(url, {
      headers: have > 0 ? { range: `bytes=${have}-` } : {},
      signal: abort.signal,
      redirect: "follow",
    });
    if (res.status === 416 && have > 0) {
      // The partial is already whole (or longer than the file): the hash decides.
      await res.body?.cancel();
      return;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new DownloadError(
        `GET ${url} answered ${res.status} ${res.statusText}`.trim(),
        res.status >= 500 || res.status === 429,
      );
    }
    const resumed = res.status === 206;
    if (!resumed) received = 0;
    const length = Number(res.headers.get("content-length") ?? NaN);
    const totalBytes = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
    o.onProgress?.({ bytes: received, ...(totalBytes !== undefined ? { totalBytes } : {}) });
    if (!res.body) throw new DownloadError(`GET ${url} answered without a body`, true);
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        arm();
        received += chunk.length;
        o.onProgress?.({ bytes: received, ...(totalBytes !== undefined ? { totalBytes } : {}) });
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
      count,
      // A server that ignored the Range header sends the whole file again: start it afresh.
      createWriteStream(partial, { flags: resumed ? "a" : "w" }),
      { signal: abort.signal },
    );
    if (totalBytes !== undefined && received < totalBytes) {
      throw new DownloadError(
        `GET ${url} ended after ${formatBytes(received)} of ${formatBytes(totalBytes)}`,
        true,
      );
    }
  } catch (error) {
    // An abort carries its own reason (a stall or a cancel); anything else is the connection's.
    const reason: unknown = abort.signal.aborted ? abort.signal.reason : error;
    throw asDownloadError(url, reason);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener("abort", onCancel);
  }
}

function asDownloadError(url: string, error: unknown): DownloadError {
  if (error instanceof DownloadError) return error;
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.cause?.message ?? e.message;
  return new DownloadError(`GET ${url} failed: ${detail}`, true);
}

async function hashFile(path: string): Promise<string> {
  const hash: Hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** 1.2 GiB, 340 MiB, 12 KiB: how progress and errors name sizes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}
