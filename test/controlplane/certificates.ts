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

/** Throwaway CA, loopback serving certificate and service-account signing key, made with openssl. */
export async function makeCertificates(dir: string): Promise<Certificates> {
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
  await writeFile(
    p("serving.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    p("serving.key"),
    "-out",
    p("serving.csr"),
    "-subj",
    "/CN=kube-apiserver",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    p("serving.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-out",
    p("serving.crt"),
    "-days",
    "30",
    "-extfile",
    p("serving.ext"),
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
