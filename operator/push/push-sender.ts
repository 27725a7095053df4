// Sends one Web Push message: web-push encrypts the payload (RFC 8291, aes128gcm) and signs the
// VAPID JWT (RFC 8292) for the endpoint's origin; the request itself is made here, because the
// endpoint is a URL a caller gave: its answer is read only up to a few KB and the whole exchange
// has a deadline, so a hostile or stuck endpoint costs the operator neither memory nor a slot.
import { Agent, request } from "node:https";
import webpush from "web-push";
import type { PushSubscriptionEntry } from "../../crds/push-subscriptions.ts";
import type { VapidKeys } from "./vapid-keys.ts";

/** How one attempt ended: delivered, the subscription is gone (404/410), or worth another try. */
export type Delivery =
  | { outcome: "sent"; status: number }
  | { outcome: "gone"; status: number }
  | { outcome: "error"; status?: number; message: string; retryAfterMs?: number };

export interface PushSenderOptions {
  keys: VapidKeys;
  /** The VAPID subject: a mailto: or https: URL push services may contact the sender at. */
  subject: string;
  /** How long a push service may keep an undelivered message (the TTL header). */
  ttlSeconds?: number;
  /** Deadline of one request, response included. */
  timeoutMs?: number;
}

const RESPONSE_BYTES = 4096;

export class PushSender {
  // Keep-alive: the notifications of one burst mostly go to the same few push services.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly options: PushSenderOptions) {}

  /** `topic` (base64url, ≤ 32 chars) lets the push service replace an undelivered duplicate. */
  async send(sub: PushSubscriptionEntry, payload: object, topic: string): Promise<Delivery> {
    const { keys, subject, ttlSeconds = 24 * 3600, timeoutMs = 15_000 } = this.options;
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(
        { endpoint: sub.endpoint, keys: sub.keys },
        JSON.stringify(payload),
        {
          vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
          contentEncoding: "aes128gcm",
          TTL: ttlSeconds,
          urgency: "normal",
          topic,
        },
      );
    } catch (err) {
      return { outcome: "error", message: `could not encrypt for this subscription: ${String(err)}` };
    }
    const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
    return new Promise<Delivery>((resolve) => {
      const req = request(
        details.endpoint,
        { method: "POST", headers, agent: this.agent, signal: AbortSignal.timeout(timeoutMs) },
        (res) => {
          const status = res.statusCode ?? 0;
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (text.length < RESPONSE_BYTES) text += chunk;
            if (text.length >= RESPONSE_BYTES) res.destroy();
          });
          const done = () => resolve(delivery(status, text.slice(0, 300), res.headers["retry-after"]));
          res.once("end", done);
          // Cut off (too long an answer, or the deadline): what arrived is enough to judge by.
          res.once("close", done);
          res.once("error", () => undefined);
        },
      );
      req.once("error", (err) => resolve({ outcome: "error", message: err.message }));
      req.end(details.body);
    });
  }

  close() {
    this.agent.destroy();
  }
}

function delivery(status: number, body: string, retryAfter: string | undefined): Delivery {
  if (status >= 200 && status < 300) return { outcome: "sent", status };
  // RFC 8030 8.3: 404 and 410 mean the subscription expired or was unsubscribed.
  if (status === 404 || status === 410) return { outcome: "gone", status };
  const seconds = Number(retryAfter);
  return {
    outcome: "error",
    status,
    message: `the push service answered ${status}${body.trim() ? `: ${body.trim()}` : ""}`,
    ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterMs: seconds * 1000 } : {}),
  };
}
