// The feedback API's transport and token handling as a client meets them: a self-signed
// certificate a client can pin by the fingerprint the operator logs, tokens minted for another
// audience refused, and 503 with Retry-After (not 500) while the Kubernetes API cannot be reached.
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeconfigYaml } from "../controlplane/control-plane.ts";
import { controlPlane, createNamespace, grant, kubeConfig, servingTls } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import { startOperator, stopAll } from "../support/processes.ts";

const AUDIENCE = "aria-feedback";
let ns: string;

/** The certificate the server at `port` presents, fetched without checking it (to pin it). */
function presentedCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw).toString());
    });
    socket.on("error", reject);
  });
}

/** A service-account token minted by the TokenRequest API for `audiences` (none: the API server's). */
async function serviceAccountToken(audiences: string[] = []) {
  const review = await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name: "gallery",
      namespace: ns,
      body: { spec: { expirationSeconds: 600, audiences } },
    });
  return review.status?.token ?? "";
}

beforeAll(async () => {
  ns = await createNamespace("api-tls");
  // The gallery, a service with its own ServiceAccount, may react to Artworks here.
  await kubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: "gallery" } } });
  await grant(
    ns,
    "artwork-reactor",
    [{ apiGroups: ["aria.dev"], resources: ["artworks"], verbs: ["get", "patch"] }],
    { kind: "ServiceAccount", name: "gallery", namespace: ns },
  );
});
afterAll(stopAll);

const reaction = () => ({ namespace: ns, artwork: "no-such-artwork", action: "like" });

describe("feedback API TLS and tokens", () => {
  it("serves a self-signed certificate, made at start, that a client pins by its logged fingerprint", async () => {
    const operator = startOperator(ns, { selfSigned: true, identity: "self-signed" });
    const logged = await operator.certificateSha256();
    const pem = await presentedCertificate(await operator.securePort());
    expect(new X509Certificate(pem).fingerprint256).toBe(logged);
    expect(new X509Certificate(pem).checkIP("127.0.0.1")).toBe("127.0.0.1");
    // Not signed by any CA the client knows: refused unless pinned.
    const untrusted = await httpsJson(operator, "/api/feedback", { ca: servingTls().ca, body: reaction() });
    expect(untrusted.status).toBe(0);
    const pinned = await httpsJson(operator, "/api/feedback", { ca: pem, body: reaction() });
    expect(pinned.status).toBe(401);
    await operator.kill();
  });

  it(`accepts only tokens meant for --token-audiences ${AUDIENCE}`, async () => {
    const operator = startOperator(ns, {
      identity: "audiences",
      args: ["--token-audiences", AUDIENCE],
    });
    const ca = servingTls().ca;
    // Authenticated and allowed: the request gets as far as looking the Artwork up.
    const meant = await httpsJson(operator, "/api/feedback", {
      ca,
      token: await serviceAccountToken([AUDIENCE]),
      body: reaction(),
    });
    expect(meant.status, JSON.stringify(meant.body)).toBe(404);
    // The same ServiceAccount's token for the Kubernetes API itself is not for Aria.
    const forApiServer = await httpsJson(operator, "/api/feedback", {
      ca,
      token: await serviceAccountToken(),
      body: reaction(),
    });
    expect(forApiServer.status).toBe(401);
    const forOther = await httpsJson(operator, "/api/feedback", {
      ca,
      token: await serviceAccountToken(["some-other-service"]),
      body: reaction(),
    });
    expect(forOther.status).toBe(401);
    await operator.kill();
  });

  it("answers 503 with Retry-After while the Kubernetes API cannot be reached", async () => {
    // A port that was just free: nothing listens there, every connection is refused.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const dir = await mkdtemp(join(tmpdir(), "aria-unreachable-"));
    const kubeconfig = join(dir, "kubeconfig");
    const cp = controlPlane();
    await writeFile(
      kubeconfig,
      kubeconfigYaml(`https://127.0.0.1:${closedPort}`, await readFile(cp.caCert), cp.tokens.admin),
    );
    const operator = startOperator(ns, { identity: "unreachable", kubeconfig });
    const res = await httpsJson(operator, "/api/feedback", {
      ca: servingTls().ca,
      token: cp.tokens.alice,
      body: reaction(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect(res.body.error).toContain("Kubernetes API");
    await operator.kill("SIGKILL");
  });
});
