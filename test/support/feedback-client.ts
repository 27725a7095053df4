// A gallery client of the operator's feedback API: posts a reaction over HTTPS, retrying as the API
// asks (429 or 503 with Retry-After) and while the operator restarts. Free of vitest, so the
// benchmarks use it too.
import { request } from "node:https";

export interface FeedbackApi {
  /** The operator's HTTPS port. */
  securePort: () => Promise<number>;
  /** A Kubernetes bearer token allowed to patch the Artwork. */
  token: string;
  /** The CA that signed the operator's serving certificate. */
  ca: Buffer | string;
}

interface Answer {
  status: number;
  retryAfter?: string;
  text: string;
}

function post(api: FeedbackApi, port: number, body: string): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/feedback",
        method: "POST",
        ca: api.ca,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${api.token}` },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, retryAfter, text });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    // Nothing answered (the operator is restarting): the caller retries like any other client.
    req.on("error", () => resolve(undefined));
    req.end(body);
  });
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
  const body = JSON.stringify({ namespace, artwork, action, ...(requestId ? { requestId } : {}) });
  let waits = 0;
  for (;;) {
    let res: Answer | undefined;
    try {
      res = await post(api, await api.securePort(), body);
    } catch {
      res = undefined;
    }
    if (!res) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (res.status === 202) return waits;
    if (res.status !== 429 && res.status !== 503)
      throw new Error(`feedback API answered ${res.status}: ${res.text}`);
    waits++;
    // As the API asks (Retry-After), with jitter so many clients do not retry in step.
    const retryAfter = Number(res.retryAfter ?? 1);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 * (0.5 + Math.random() / 2)));
  }
}
