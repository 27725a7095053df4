// A browser's PushSubscription as the gallery posts it (PushSubscription.toJSON():
// { endpoint, expirationTime, keys: { p256dh, auth } }), checked before it is stored: an https
// endpoint, a P-256 public key that is a point on the curve, a 16-byte auth secret. Pure.
import { ECDH } from "node:crypto";
import { MAX_PUSH_ENDPOINT_LENGTH } from "../../crds/push-subscriptions.ts";

export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** What was wrong with the request body: the field (dotted path) and what it must be. */
export interface InputProblem {
  field: string;
  error: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * An https URL, as every push service's endpoint is (RFC 8030 requires TLS). Any host: a push
 * service is wherever the browser's vendor runs it, and tests serve one on loopback.
 */
export function endpointProblem(endpoint: unknown, field: string): InputProblem | undefined {
  const must = (error: string) => ({ field, error: `${field} ${error}` });
  if (typeof endpoint !== "string" || !endpoint) return must("must be the push service's https URL");
  if (endpoint.length > MAX_PUSH_ENDPOINT_LENGTH)
    return must(`must be at most ${MAX_PUSH_ENDPOINT_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return must("must be an absolute URL");
  }
  if (url.protocol !== "https:") return must(`must be an https: URL, not ${url.protocol}`);
  if (url.username || url.password) return must("must not carry a user name or password");
  return undefined;
}

/** Decodes a base64url key (padding tolerated) of exactly `bytes` bytes, else says what is wrong. */
function key(value: unknown, bytes: number, field: string): Buffer | InputProblem {
  const what = `${field} must be ${bytes} bytes in base64url`;
  if (typeof value !== "string" || !BASE64URL.test(value)) return { field, error: what };
  const decoded = Buffer.from(value, "base64url");
  return decoded.length === bytes ? decoded : { field, error: `${what}, got ${decoded.length} bytes` };
}

/** The subscription in a POST body `{ subscription: {...} }`, normalised (keys without padding). */
export function parseSubscription(body: unknown): SubscriptionInput | InputProblem {
  const sub = isObject(body) ? body.subscription : undefined;
  if (!isObject(sub))
    return {
      field: "subscription",
      error: "subscription must be a PushSubscription as JSON: { endpoint, keys: { p256dh, auth } }",
    };
  const endpoint = endpointProblem(sub.endpoint, "subscription.endpoint");
  if (endpoint) return endpoint;
  if (!isObject(sub.keys))
    return { field: "subscription.keys", error: "subscription.keys must hold p256dh and auth" };
  const p256dh = key(sub.keys.p256dh, 65, "subscription.keys.p256dh");
  if (!Buffer.isBuffer(p256dh)) return p256dh;
  try {
    // Throws unless it is an uncompressed point on P-256: a key no message could be encrypted to.
    ECDH.convertKey(p256dh, "prime256v1", undefined, undefined, "uncompressed");
    if (p256dh[0] !== 0x04) throw new Error("compressed");
  } catch {
    return {
      field: "subscription.keys.p256dh",
      error: "subscription.keys.p256dh must be an uncompressed P-256 public key (65 bytes, 0x04 first)",
    };
  }
  const auth = key(sub.keys.auth, 16, "subscription.keys.auth");
  if (!Buffer.isBuffer(auth)) return auth;
  return {
    endpoint: sub.endpoint as string,
    keys: { p256dh: p256dh.toString("base64url"), auth: auth.toString("base64url") },
  };
}

export function isInputProblem(value: SubscriptionInput | InputProblem): value is InputProblem {
  return "error" in value;
}

/**
 * The push services browsers use (Chrome/Edge's FCM, Firefox's autopush, Safari's, Windows'):
 * a subscription may name only these, so no caller can make the operator POST to any other
 * address, such as one inside the cluster. `--push-endpoint-hosts` replaces the list.
 */
export const BROWSER_PUSH_HOSTS = [
  "fcm.googleapis.com",
  "updates.push.services.mozilla.com",
  "*.push.apple.com",
  "*.notify.windows.com",
];

/** Whether the endpoint's host is one of `hosts` (`*.example.com`: any name under it). */
export function allowedPushHost(endpoint: string, hosts: readonly string[]): boolean {
  const host = new URL(endpoint).hostname;
  return hosts.some((h) => (h.startsWith("*.") ? host.endsWith(h.slice(1)) : host === h));
}
