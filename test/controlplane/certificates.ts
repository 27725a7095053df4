import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Certificates {
  caCert: string;
  servingCert: string;
  servingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/**
 * Throwaway CA, serving certificate and service-account signing key, made with openssl. The serving
 * certificate names loopback and `extraIps` (a node's API address and the `kubernetes` Service's IP).
 */
export async function makeCertificates(dir: string, extraIps: string[] = []): Promise<Certificates> {
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "30",
    "-subj",
    "/CN=aria-local-ca",
  );
  const sans = [
    "IP:127.0.0.1",
    ...extraIps.map((ip) => `IP:${ip}`),
    "DNS:localhost",
    "DNS:kubernetes.default.svc",
  ];
  await signedByCa(
    dir,
    "serving",
    "/CN=kube-apiserver",
    `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl("genrsa", "-out", p("sa.key"), "2048");
  await openssl("rsa", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub"));
  return {
    caCert: p("ca.crt"),
    servingCert: p("serving.crt"),
    servingKey: p("serving.key"),
    serviceAccountKey: p("sa.key"),
    serviceAccountPub: p("sa.pub"),
  };
}

/** A client certificate signed by makeCertificates' CA, e.g. the API server's to its kubelets. */
export function makeClientCertificate(dir: string, name: string, subject: string) {
  return signedByCa(dir, name, subject, "extendedKeyUsage=clientAuth\n");
}

/** <name>.key and <name>.crt for `subject`, signed by the CA in `dir` with the extensions `ext`. */
async function signedByCa(dir: string, name: string, subject: string, ext: string) {
  const p = (file: string) => join(dir, file);
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  await writeFile(p(`${name}.ext`), ext);
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    p(`${name}.key`),
    "-out",
    p(`${name}.csr`),
    "-subj",
    subject,
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    p(`${name}.csr`),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-out",
    p(`${name}.crt`),
    "-days",
    "30",
    "-extfile",
    p(`${name}.ext`),
  );
  return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
}
