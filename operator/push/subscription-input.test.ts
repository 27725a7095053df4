import { createECDH, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  allowedPushHost,
  BROWSER_PUSH_HOSTS,
  isInputProblem,
  parseSubscription,
} from "./subscription-input.ts";

function browserSubscription() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    endpoint: "https://push.example.net/send/abc123",
    expirationTime: null,
    keys: { p256dh: ecdh.getPublicKey("base64url"), auth: randomBytes(16).toString("base64url") },
  };
}

const problem = (body: unknown) => {
  const parsed = parseSubscription(body);
  return isInputProblem(parsed) ? parsed : undefined;
};

describe("parseSubscription", () => {
  it("takes a browser's PushSubscription.toJSON(), keys without padding", () => {
    const sub = browserSubscription();
    expect(parseSubscription({ subscription: sub })).toEqual({ endpoint: sub.endpoint, keys: sub.keys });
    const padded = { ...sub, keys: { p256dh: `${sub.keys.p256dh}=`, auth: `${sub.keys.auth}==` } };
    expect(parseSubscription({ subscription: padded })).toEqual({ endpoint: sub.endpoint, keys: sub.keys });
  });

  it("takes any https endpoint, a loopback one with a port too", () => {
    const sub = { ...browserSubscription(), endpoint: "https://127.0.0.1:40123/push/1" };
    expect(problem({ subscription: sub })).toBeUndefined();
  });

  it("names the field that is wrong and what it must be", () => {
    const sub = browserSubscription();
    const cases: Array<[unknown, string, string]> = [
      [{}, "subscription", "subscription must be a PushSubscription"],
      [{ subscription: "x" }, "subscription", "subscription must be a PushSubscription"],
      [{ subscription: { ...sub, endpoint: undefined } }, "subscription.endpoint", "https URL"],
      [
        { subscription: { ...sub, endpoint: "http://push.example.net/x" } },
        "subscription.endpoint",
        "not http:",
      ],
      [{ subscription: { ...sub, endpoint: "javascript:alert(1)" } }, "subscription.endpoint", "https: URL"],
      [{ subscription: { ...sub, endpoint: "/relative" } }, "subscription.endpoint", "absolute URL"],
      [
        { subscription: { ...sub, endpoint: "https://u:p@push.example.net/" } },
        "subscription.endpoint",
        "password",
      ],
      [
        { subscription: { ...sub, endpoint: `https://push.example.net/${"a".repeat(1100)}` } },
        "subscription.endpoint",
        "at most 1024",
      ],
      [{ subscription: { ...sub, keys: undefined } }, "subscription.keys", "p256dh and auth"],
      [
        { subscription: { ...sub, keys: { ...sub.keys, p256dh: "abc" } } },
        "subscription.keys.p256dh",
        "65 bytes",
      ],
      [
        { subscription: { ...sub, keys: { ...sub.keys, p256dh: "a+b/" } } },
        "subscription.keys.p256dh",
        "base64url",
      ],
      [
        {
          subscription: { ...sub, keys: { ...sub.keys, p256dh: Buffer.alloc(65, 4).toString("base64url") } },
        },
        "subscription.keys.p256dh",
        "P-256 public key",
      ],
      [
        { subscription: { ...sub, keys: { ...sub.keys, auth: "AAAA" } } },
        "subscription.keys.auth",
        "16 bytes",
      ],
      [{ subscription: { ...sub, keys: { ...sub.keys, auth: 7 } } }, "subscription.keys.auth", "16 bytes"],
    ];
    for (const [body, field, words] of cases) {
      const p = problem(body);
      expect(p?.field, JSON.stringify(body).slice(0, 120)).toBe(field);
      expect(p?.error).toContain(words);
    }
  });
});

describe("allowedPushHost", () => {
  it("takes the browsers' push services and refuses every other host", () => {
    const ok = (url: string) => allowedPushHost(url, BROWSER_PUSH_HOSTS);
    expect(ok("https://fcm.googleapis.com/fcm/send/abc")).toBe(true);
    expect(ok("https://updates.push.services.mozilla.com/wpush/v2/abc")).toBe(true);
    expect(ok("https://web.push.apple.com/QGx")).toBe(true);
    expect(ok("https://wns2-par02p.notify.windows.com/w/?token=x")).toBe(true);
    expect(ok("https://10.0.0.1/push")).toBe(false);
    expect(ok("https://kubernetes.default.svc/api")).toBe(false);
    expect(ok("https://evilpush.apple.com.attacker.net/x")).toBe(false);
    expect(ok("https://notpush.apple.com/x")).toBe(false);
  });
});
