// A share link's token: which Artwork it shows and until when, signed with HMAC-SHA256 by the
// operator's share key. The signature is the whole authorization of /share/<token> (anyone holding
// the link sees that one Artwork's selected image until the link expires), so verification accepts
// only the exact bytes signing produces: base64url has spare bits in its last character, and
// Node's decoder skips characters it does not know, so a token is re-signed and compared whole
// rather than decoded leniently.
import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a link works: long enough to outlive a chat thread, short enough that old links die. */
export const SHARE_LINK_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const VERSION = "1";
const DNS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface SharedArtwork {
  namespace: string;
  name: string;
  /** Unix seconds after which the link no longer works. */
  expires: number;
}

function mac(key: Buffer, payload: string): string {
  return createHmac("sha256", key).update(payload).digest("base64url");
}

function encode(key: Buffer, s: SharedArtwork): string {
  // Namespaces and names are DNS names: no "/" in either, so the payload splits back unambiguously.
  const payload = Buffer.from(`${VERSION}/${s.namespace}/${s.name}/${s.expires}`, "utf8").toString(
    "base64url",
  );
  return `${payload}.${mac(key, payload)}`;
}

/** A token for the Artwork, valid for SHARE_LINK_DAYS from `now`. */
export function signShareToken(
  key: Buffer,
  artwork: { namespace: string; name: string },
  now = Date.now(),
): { token: string; expires: Date } {
  if (!DNS.test(artwork.namespace) || !DNS.test(artwork.name))
    throw new Error(`cannot share "${artwork.namespace}/${artwork.name}": not a Kubernetes object name`);
  const expires = Math.floor((now + SHARE_LINK_DAYS * DAY_MS) / 1000);
  return { token: encode(key, { ...artwork, expires }), expires: new Date(expires * 1000) };
}

/** The Artwork a token names, or undefined when it is malformed, signed by another key, altered or expired. */
export function verifyShareToken(key: Buffer, token: string, now = Date.now()): SharedArtwork | undefined {
  if (token.length > 1024) return undefined;
  const [payload, signature, extra] = token.split(".");
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const fields = Buffer.from(payload, "base64url").toString("utf8").split("/");
  const [version, namespace, name, expiry] = fields;
  if (fields.length !== 4 || version !== VERSION || !namespace || !name || !expiry) return undefined;
  if (!DNS.test(namespace) || !DNS.test(name) || !/^[0-9]{1,12}$/.test(expiry)) return undefined;
  const shared = { namespace, name, expires: Number(expiry) };
  const expected = Buffer.from(encode(key, shared));
  const given = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return shared.expires * 1000 > now ? shared : undefined;
}
