// How long to wait before the next attempt after `failures` failed ones: exponential, capped, with
// jitter, so that every process that lost the API server at the same moment does not come back to
// it in lockstep. The one backoff the informer, the transient-error retries and the processes'
// start-up share.

export interface Backoff {
  /** Wait after the first failure. */
  initialMs: number;
  /** Longest wait, however many failures came before. */
  maxMs: number;
}

/** Doubling from initialMs up to maxMs; the wait is drawn from the upper half of that (jitter). */
export function backoffDelay(failures: number, backoff: Backoff, random: () => number = Math.random) {
  const ms = Math.min(backoff.initialMs * 2 ** Math.max(0, failures), backoff.maxMs);
  return ms / 2 + (random() * ms) / 2;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
