// http_ece ships no types: the part of its API the push tests use.
declare module "http_ece" {
  import type { ECDH } from "node:crypto";

  interface Params {
    version?: "aes128gcm" | "aesgcm" | "aesgcm128";
    /** The receiver's key pair (decrypt); the sender's public key comes from the aes128gcm header. */
    privateKey?: ECDH;
    dh?: string | Buffer;
    /** base64url string or bytes. */
    authSecret?: string | Buffer;
    key?: string | Buffer;
    salt?: string | Buffer;
    rs?: number;
  }

  const ece: {
    decrypt(buffer: Buffer, params: Params): Buffer;
    encrypt(buffer: Buffer, params: Params): Buffer;
  };
  export default ece;
}
