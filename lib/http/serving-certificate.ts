// The certificate an HTTPS endpoint serves: the PEM files named by flags (a kubernetes.io/tls
// Secret mounted into the pod, e.g. from cert-manager), or else a self-signed one made at start.
// Self-signed is made with the `selfsigned` package (WebCrypto underneath, no openssl binary, so it
// works in a distroless image); node's crypto makes keys but cannot write an X.509 certificate.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";

export interface ServingCertificate {
  cert: string;
  key: string;
  /** Made at start: clients cannot check it against a CA, only pin it by its fingerprint. */
  selfSigned: boolean;
  /** SHA-256 fingerprint (colon-separated hex), logged so a client can pin a self-signed one. */
  fingerprint256: string;
}

export interface ServingCertificateOptions {
  certFile?: string;
  keyFile?: string;
  /** Names and addresses a self-signed certificate is issued for, besides this host's name and loopback. */
  hosts?: string[];
}

const SELF_SIGNED_DAYS = 365;

export async function servingCertificate(options: ServingCertificateOptions): Promise<ServingCertificate> {
  const { certFile, keyFile } = options;
  if (certFile || keyFile) {
    if (!certFile || !keyFile)
      throw new Error("--tls-cert-file and --tls-private-key-file must be given together");
    const [cert, key] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
    return { cert, key, selfSigned: false, fingerprint256: new X509Certificate(cert).fingerprint256 };
  }
  // Loaded only here: its X.509 stack costs a process that was given files ~0.5 s of start-up.
  const { generate } = await import("selfsigned");
  const names = [...new Set([hostname(), "localhost", "127.0.0.1", "::1", ...(options.hosts ?? [])])];
  const notBeforeDate = new Date();
  const pems = await generate([{ name: "commonName", value: hostname() }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + SELF_SIGNED_DAYS * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: names.map((n) => (isIp(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return {
    cert: pems.cert,
    key: pems.private,
    selfSigned: true,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
  };
}

function isIp(name: string) {
  return /^[\d.]+$/.test(name) || name.includes(":");
}
