import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import webpush from "web-push";
import { describe, expect, it } from "vitest";
import { readVapid } from "../../test/support/push-service.ts";
import { loadVapidKeys, vapidKeysFromPem } from "./vapid-keys.ts";

const ec = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve });

describe("vapidKeysFromPem", () => {
  it("derives the raw public point from a SEC 1 key (Helm's genPrivateKey) and a PKCS #8 one", () => {
    const { privateKey, publicKey } = ec("P-256");
    const expected = publicKey.export({ format: "jwk" });
    for (const pem of [
      privateKey.export({ format: "pem", type: "sec1" }),
      privateKey.export({ format: "pem", type: "pkcs8" }),
    ]) {
      expect(String(pem)).toContain("PRIVATE KEY");
      const keys = vapidKeysFromPem(pem);
      const point = Buffer.from(keys.publicKey, "base64url");
      expect(point).toHaveLength(65);
      expect(point[0]).toBe(4);
      expect(point.subarray(1, 33).toString("base64url")).toBe(expected.x);
      expect(point.subarray(33).toString("base64url")).toBe(expected.y);
      expect(Buffer.from(keys.privateKey, "base64url")).toHaveLength(32);
    }
  });

  it("gives keys web-push signs with, verifiable by a push service with the public key a browser is given", () => {
    const keys = vapidKeysFromPem(ec("P-256").privateKey.export({ format: "pem", type: "sec1" }));
    const { Authorization } = webpush.getVapidHeaders(
      "https://push.example.net",
      "mailto:art@example.org",
      keys.publicKey,
      keys.privateKey,
      "aes128gcm",
    );
    const vapid = readVapid(Authorization);
    expect(vapid.publicKey).toBe(keys.publicKey);
    expect(vapid.signed).toBe(true);
    expect(vapid.claims).toMatchObject({ aud: "https://push.example.net", sub: "mailto:art@example.org" });
  });

  it("refuses what is not an EC P-256 private key, saying what it got", () => {
    expect(() => vapidKeysFromPem(ec("P-384").privateKey.export({ format: "pem", type: "sec1" }))).toThrow(
      "an EC P-256 key is required, got EC P-384",
    );
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    expect(() => vapidKeysFromPem(rsa.export({ format: "pem", type: "pkcs8" }))).toThrow(
      "an EC P-256 key is required, got RSA",
    );
    expect(() => vapidKeysFromPem("not a key")).toThrow("not a PEM private key");
  });

  it("names the flag and the file when the file cannot be used", () => {
    const dir = mkdtempSync(join(tmpdir(), "aria-vapid-"));
    const file = join(dir, "tls.key");
    writeFileSync(file, "garbage");
    expect(() => loadVapidKeys(file)).toThrow(`--vapid-key-file ${file}: not a PEM private key`);
    expect(() => loadVapidKeys(join(dir, "missing"))).toThrow("--vapid-key-file");
  });
});
