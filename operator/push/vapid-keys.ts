// The operator's VAPID key pair (RFC 8292) from a PEM EC P-256 private key, such as the one Helm's
// `genPrivateKey "ecdsa"` writes into the chart's Secret: the public key is derived from it, and
// both are given in the raw base64url forms web-push and a browser's applicationServerKey take.
import { createPrivateKey, type JsonWebKey } from "node:crypto";
import { readFileSync } from "node:fs";

export interface VapidKeys {
  /** The uncompressed public point (65 bytes), base64url: the browser's applicationServerKey. */
  publicKey: string;
  /** The private scalar (32 bytes), base64url. */
  privateKey: string;
}

/** The key pair of a PEM (SEC 1 "EC PRIVATE KEY" or PKCS #8) P-256 private key. */
export function vapidKeysFromPem(pem: string | Buffer): VapidKeys {
  let jwk: JsonWebKey;
  try {
    jwk = createPrivateKey(pem).export({ format: "jwk" });
  } catch (err) {
    throw new Error(`not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.x || !jwk.y)
    throw new Error(`an EC P-256 key is required, got ${jwk.kty ?? "?"} ${jwk.crv ?? ""}`.trim());
  // JWK coordinates are the curve's full 32 bytes each (RFC 7518 6.2.1.2), so the raw point is
  // 0x04 || x || y.
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x, "base64url"),
    Buffer.from(jwk.y, "base64url"),
  ]);
  return { publicKey: point.toString("base64url"), privateKey: jwk.d };
}

/** Reads `--vapid-key-file`; the error names the flag and the file. */
export function loadVapidKeys(file: string): VapidKeys {
  try {
    return vapidKeysFromPem(readFileSync(file));
  } catch (err) {
    throw new Error(`--vapid-key-file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
