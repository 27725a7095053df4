// A gallery client of the operator's feedback API: posts a reaction, retrying as the API asks
// (429 or 503 with Retry-After) and while the operator restarts. Free of vitest, so the benchmarks
// use it too.

/**
 * Posts one reaction until it is accepted (202). The requestId makes a retry after a lost
 * response (the operator killed mid-request) count once. Returns how often it was asked to wait.
 */
export async function postReaction(
  api: { port: () => Promise<number>; token: string },
  namespace: string,
  artwork: string,
  action: string,
  requestId?: string,
): Promise<number> {
  let waits = 0;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(`http://127.0.0.1:${await api.port()}/api/feedback`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${api.token}`,
        },
        body: JSON.stringify({ namespace, artwork, action, ...(requestId ? { requestId } : {}) }),
      });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (res.status === 202) return waits;
    if (res.status !== 429 && res.status !== 503)
      throw new Error(`feedback API answered ${res.status}: ${await res.text()}`);
    waits++;
    // As the API asks (Retry-After), with jitter so many clients do not retry in step.
    const retryAfter = Number(res.headers.get("retry-after") ?? 1);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 * (0.5 + Math.random() / 2)));
  }
}
