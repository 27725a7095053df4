import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SHARE_LINK_DAYS, signShareToken, verifyShareToken } from "./share-token.ts";

const KEY = randomBytes(32);
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ART = { namespace: "studio", name: "sunrise-over-the-bay" };
const DAY = 24 * 60 * 60 * 1000;

describe("share tokens", () => {
  it("name the Artwork they were made for until they expire, 30 days on", () => {
    const { token, expires } = signShareToken(KEY, ART, NOW);
    expect(expires.getTime()).toBe(NOW + SHARE_LINK_DAYS * DAY);
    expect(verifyShareToken(KEY, token, NOW)).toEqual({ ...ART, expires: expires.getTime() / 1000 });
    expect(verifyShareToken(KEY, token, NOW + 29 * DAY)).toMatchObject(ART);
    expect(verifyShareToken(KEY, token, NOW + 30 * DAY)).toBeUndefined();
  });

  it("are URL-safe as they are", () => {
    expect(signShareToken(KEY, ART, NOW).token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it("are refused when any one character is changed", () => {
    const { token } = signShareToken(KEY, ART, NOW);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        expect(verifyShareToken(KEY, altered, NOW), `${i}: ${altered}`).toBeUndefined();
      }
    }
  });

  it("are refused when signed by another key, cut short, extended or made up", () => {
    const { token } = signShareToken(KEY, ART, NOW);
    expect(verifyShareToken(randomBytes(32), token, NOW)).toBeUndefined();
    expect(verifyShareToken(KEY, token.slice(0, -1), NOW)).toBeUndefined();
    expect(verifyShareToken(KEY, `${token}A`, NOW)).toBeUndefined();
    expect(verifyShareToken(KEY, `${token}.x`, NOW)).toBeUndefined();
    for (const junk of ["", ".", "abc", "a.b", "x".repeat(5000)]) {
      expect(verifyShareToken(KEY, junk, NOW)).toBeUndefined();
    }
  });

  it("cannot be moved to another Artwork or given a later expiry without the key", () => {
    const { token } = signShareToken(KEY, ART, NOW);
    const [, signature] = token.split(".");
    for (const forged of [
      `1/studio/another-artwork/${Math.floor(NOW / 1000) + 30 * 86400}`,
      `1/studio/sunrise-over-the-bay/${Math.floor(NOW / 1000) + 3650 * 86400}`,
    ]) {
      expect(
        verifyShareToken(KEY, `${Buffer.from(forged).toString("base64url")}.${signature}`, NOW),
      ).toBeUndefined();
    }
  });

  it("are made only for Kubernetes object names", () => {
    expect(() => signShareToken(KEY, { namespace: "a/b", name: "c" }, NOW)).toThrow(
      "not a Kubernetes object name",
    );
  });
});
