// client-node 1.4 throws ApiException (`code`, `body`); its Watch reports `statusCode`; watch ERROR
// events carry a metav1.Status (`code`). These helpers read all three so callers need not care.
import { backoffDelay, sleep, type Backoff } from "./backoff.ts";

/** The HTTP status of a Kubernetes API failure, or undefined when the error is not one. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  const code = statusBody(err)?.code;
  return typeof code === "number" ? code : undefined;
}

/** The metav1.Status an API failure carries in its body, when it carries one. */
function statusBody(err: unknown): { code?: unknown; message?: unknown } | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const raw = (err as { body?: unknown }).body;
  const body = typeof raw === "string" ? parseJson(raw) : raw;
  return typeof body === "object" && body !== null ? body : undefined;
}

/** The API server's own words for a failure (metav1.Status message), else the error's message. */
export function statusMessage(err: unknown): string {
  const message = statusBody(err)?.message;
  if (typeof message === "string" && message) return message;
  return err instanceof Error ? err.message : String(err);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isConflict = (err: unknown) => statusCode(err) === 409;
export const isNotFound = (err: unknown) => statusCode(err) === 404;
/** 422 Invalid: the object breaks the API's validation; sending it again cannot succeed. */
export const isInvalid = (err: unknown) => statusCode(err) === 422;
/** 410 Gone: the resourceVersion a watch or list continued from has been compacted away. */
export const isGone = (err: unknown) => statusCode(err) === 410;

/**
 * The API server could not be reached (refused, reset, timed out) or answered that it is
 * overloaded or failing: the same request may succeed later. Unlike isTransient, an error that is
 * not from the API at all (a bug) is not one.
 */
export function isApiUnavailable(err: unknown): boolean {
  const code = statusCode(err);
  if (code !== undefined) return code === 429 || (code >= 500 && code <= 504);
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; name?: unknown; type?: unknown; cause?: unknown };
  if (e.name === "AbortError" || e.name === "TimeoutError" || e.type === "system") return true;
  if (typeof e.code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return true;
  return e.cause !== undefined && isApiUnavailable(e.cause);
}

/**
 * Runs fn again while it fails with 409 Conflict (client-go's retry.RetryOnConflict): fn must re-read
 * the object each time so the retry writes against the current resourceVersion.
 */
export function retryOnConflict<R>(fn: () => Promise<R>, attempts = 5): Promise<R> {
  return retry(fn, isConflict, { attempts, backoff: { initialMs: 10, maxMs: 160 } });
}

/**
 * A failure that says nothing about the request itself: no HTTP status (connection refused or reset,
 * a keep-alive socket the server closed, a timeout), throttling, or an API server in trouble.
 */
export function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  return code === undefined || code === 429 || (code >= 500 && code <= 504);
}

export interface RetryOptions {
  /** Give up after this many calls (default: never, for as long as the API server stays away). */
  attempts?: number;
  /** Wait between calls (default 100 ms doubling to 10 s, with jitter). */
  backoff?: Backoff;
  /** Stops retrying: the last failure is thrown at once. */
  signal?: AbortSignal;
  /** Told of each failure that will be retried, e.g. to log it once in a while. */
  onRetry?: (err: unknown, failures: number, delayMs: number) => void;
}

/**
 * Runs fn again while it fails transiently, with capped exponential backoff and jitter. For writes
 * whose loss would lose work, such as a worker's final status: by default it outlasts an API outage
 * of any length, until `signal` says the write no longer matters. fn must be safe to repeat (fenced
 * or idempotent).
 */
export function retryTransient<R>(fn: () => Promise<R>, options: RetryOptions = {}): Promise<R> {
  return retry(fn, isTransient, options);
}

async function retry<R>(
  fn: () => Promise<R>,
  retryable: (err: unknown) => boolean,
  { attempts = Infinity, backoff = { initialMs: 100, maxMs: 10_000 }, signal, onRetry }: RetryOptions,
): Promise<R> {
  for (let failures = 0; ;) {
    try {
      return await fn();
    } catch (err) {
      failures++;
      if (!retryable(err) || failures >= attempts || signal?.aborted) throw err;
      const delayMs = backoffDelay(failures - 1, backoff);
      onRetry?.(err, failures, delayMs);
      await sleep(delayMs, signal);
      if (signal?.aborted) throw err;
    }
  }
}
