// A gallery client of the operator's feedback API: posts a reaction over HTTPS, retrying as the API
// asks (429 or 503 with Retry-After) and while the operator restarts. Free of vitest, so the
// benchmarks use it too.
import { httpsJson } from "./https.ts";

export interface FeedbackApi {
  /** The operator's HTTPS port. */
  securePort: () => Promise<number>;
  /** A Kubernetes bearer token allowed to patch the Artwork. */
  token: string;
  /** The CA that signed the operator's serving certificate. */
  ca: Buffer | string;
}

/**
 * Posts one reaction until it is accepted (202). The requestId makes a retry after a lost
 * response (the operator killed mid-request) count once. Returns how often it was asked to wait.
 */
export async function postReaction(
  api: FeedbackApi,
  namespace: string,
  artwork: string,
  action: string,
  requestId?: string,
): Promise<number> {
  const body = { namespace, artwork, action, ...(requestId ? { requestId } : {}) };
  let waits = 0;
  for (;;) {
    let res;
    try {
      res = await httpsJson(api, "/api/feedback", { ca: api.ca, token: api.token, body });
    } catch {
      res = undefined;
    }
    // Nothing answered (status 0: the operator is restarting): retry like any other client.
    if (!res || res.status === 0) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (res.status === 202) return waits;
    if (res.status !== 429 && res.status !== 503)
      throw new Error(`feedback API answered ${res.status}: ${JSON.stringify(res.body)}`);
    waits++;
    // As the API asks (Retry-After), with jitter so many clients do not retry in step.
    const retryAfter = Number(res.headers["retry-after"] ?? 1);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 * (0.5 + Math.random() / 2)));
  }
}
