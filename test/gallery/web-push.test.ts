// Web Push from the gallery: a browser subscribes to an Artwork through the operator's API, and when
// the Artwork is finished the leader sends the browser's push service a message the browser alone
// can decrypt, signed with the operator's VAPID key. Against the real control plane, operator and
// worker, with a push service served here on loopback over HTTPS.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_PUSH_SUBSCRIPTIONS,
  PUSH_SUBSCRIPTIONS_ANNOTATION,
  type PushSubscriptionEntry,
} from "../../crds/push-subscriptions.ts";
import { vapidKeysFromPem } from "../../operator/push/vapid-keys.ts";
import {
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  listArtworks,
  QUICK,
} from "../support/artworks.ts";
import { controlPlane, createNamespace, grant, servingTls, user } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import { scrapeMetric } from "../support/metrics.ts";
import { readVapid, startPushService, testBrowser, type PushService } from "../support/push-service.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitFor, waitForLeading, waitForWorkerReady } from "../support/waits.ts";

const SUBJECT = "mailto:gallery@example.org";

let ns: string;
let push: PushService;
let keyPem: string;
let keyFile: string;
let operator: OperatorProc;

/** An operator that signs with the key a chart's genPrivateKey "ecdsa" would make (SEC 1 PEM), trusting the push service's CA. */
function startPushOperator() {
  return startOperator(ns, {
    args: ["--vapid-key-file", keyFile, "--vapid-subject", SUBJECT, "--push-endpoint-hosts", "127.0.0.1"],
    env: { NODE_EXTRA_CA_CERTS: controlPlane().caCert },
  });
}

type As = "admin" | "alice" | "bob" | "nobody";

function api(path: string, options: { as?: As; body?: object; proc?: OperatorProc } = {}) {
  const as = options.as ?? "admin";
  const token = as === "nobody" ? undefined : controlPlane().tokens[as];
  return httpsJson(options.proc ?? operator, path, {
    ca: servingTls().ca,
    ...(token ? { token } : {}),
    ...(options.body ? { body: options.body } : {}),
  });
}

const subscriptionsPath = (name: string) => `/api/namespaces/${ns}/artworks/${name}/push-subscriptions`;

function subscribe(name: string, subscription: object, as: As = "admin") {
  return api(subscriptionsPath(name), { as, body: { subscription } });
}

/**
 * DELETE with the endpoint in a JSON body, as the gallery's fetch() sends it (with its
 * Content-Length: Node's client frames no DELETE body by itself, so httpsJson cannot send one).
 */
async function unsubscribe(name: string, endpoint: string, as: As = "admin") {
  const body = JSON.stringify({ endpoint });
  const port = await operator.securePort();
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: subscriptionsPath(name),
        method: "DELETE",
        ca: servingTls().ca,
        headers: {
          Authorization: `Bearer ${controlPlane().tokens[as as Exclude<As, "nobody">]}`,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The subscriptions the Artwork holds, as the API server has them. */
async function held(name: string): Promise<PushSubscriptionEntry[]> {
  const raw = (await getArtwork(ns, name)).metadata.annotations?.[PUSH_SUBSCRIPTIONS_ANNOTATION];
  return raw ? (JSON.parse(raw) as PushSubscriptionEntry[]) : [];
}

const arrived = (path: string, count = 1) =>
  waitFor(
    `${count} push request(s) at ${path}`,
    async () => push.received(path),
    (r) => r.length >= count,
    {
      timeoutMs: 120_000,
      proc: operator,
    },
  );

beforeAll(async () => {
  ns = await createNamespace("push");
  push = await startPushService(servingTls());
  const dir = mkdtempSync(join(tmpdir(), "aria-vapid-"));
  keyPem = String(
    generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "sec1" }),
  );
  keyFile = join(dir, "tls.key");
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  operator = startPushOperator();
  await waitForLeading(operator);
  // No worker yet: nothing can finish before a test starts one.
  await createPool(ns, "studio", { replicas: 1 });
  await createPool(ns, "idle", { replicas: 0 });
  // bob may list Artworks but not get one.
  await grant(
    ns,
    "artwork-lister",
    [{ apiGroups: ["aria.dev"], resources: ["artworks"], verbs: ["list"] }],
    user("bob"),
  );
}, 300_000);
afterAll(async () => {
  await stopAll();
  await push?.close();
});

describe("the VAPID public key", () => {
  it("is the one derived from the mounted private key, in applicationServerKey form; an operator without one says push is off", async () => {
    const res = await api("/api/push/key", { as: "nobody" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ publicKey: vapidKeysFromPem(keyPem).publicKey });
    expect(Buffer.from(res.body.publicKey as string, "base64url")).toHaveLength(65);

    // A standby replica started without --vapid-key-file serves the API too, and says why not.
    const plain = startOperator(ns, { identity: "no-push" });
    const off = await api("/api/push/key", { proc: plain });
    expect(off.status).toBe(404);
    expect(off.body.error).toContain("--vapid-key-file");
    const sub = testBrowser(`${push.origin}/push/never`).subscription;
    expect((await api(subscriptionsPath("any"), { proc: plain, body: { subscription: sub } })).status).toBe(
      404,
    );
    await plain.kill();
  });
});

describe("POST /api/namespaces/:namespace/artworks/:name/push-subscriptions", () => {
  beforeAll(async () => {
    await createArtwork(ns, "guarded", { ...QUICK, poolRef: { name: "idle" } });
  });

  it("answers 401 without a token and 403 to a caller who may not get the Artwork", async () => {
    const sub = testBrowser(`${push.origin}/push/guarded`).subscription;
    expect((await subscribe("guarded", sub, "nobody")).status).toBe(401);
    for (const who of ["alice", "bob"] as const) {
      const res = await subscribe("guarded", sub, who);
      expect(res.status, who).toBe(403);
      expect(res.body.error).toBe(`${who} may not get artworks.aria.dev "guarded" in namespace "${ns}"`);
    }
    expect(await held("guarded")).toEqual([]);
  });

  it("answers 400 naming the field of a subscription that is not one, 404 for a missing Artwork", async () => {
    const sub = testBrowser(`${push.origin}/push/guarded`).subscription;
    const cases: Array<[object, string]> = [
      [{ ...sub, endpoint: "http://127.0.0.1/push" }, "subscription.endpoint"],
      [{ ...sub, endpoint: "not a url" }, "subscription.endpoint"],
      // Not a push service the operator was told of: it POSTs to no other address.
      [{ ...sub, endpoint: "https://10.0.0.1/internal" }, "subscription.endpoint"],
      [{ ...sub, keys: { ...sub.keys, p256dh: "c2hvcnQ" } }, "subscription.keys.p256dh"],
      [{ ...sub, keys: { ...sub.keys, auth: "c2hvcnQ" } }, "subscription.keys.auth"],
      [{ endpoint: sub.endpoint }, "subscription.keys"],
    ];
    for (const [body, field] of cases) {
      const res = await subscribe("guarded", body);
      expect(res.status, field).toBe(400);
      expect(res.body.field).toBe(field);
      expect(res.body.error).toContain(field);
    }
    const none = await api(subscriptionsPath("guarded"), { body: {} });
    expect(none.body).toMatchObject({ field: "subscription" });
    expect((await subscribe("no-such-artwork", sub)).status).toBe(404);
    expect(await held("guarded")).toEqual([]);
  });

  it("keeps every one of concurrent subscriptions, at most 20 an Artwork; DELETE unsubscribes", async () => {
    const browsers = Array.from({ length: MAX_PUSH_SUBSCRIPTIONS }, (_, i) =>
      testBrowser(`${push.origin}/push/guarded/${i}`),
    );
    const answers = await Promise.all(browsers.map((b) => subscribe("guarded", b.subscription)));
    expect(answers.map((a) => a.status)).toEqual(browsers.map(() => 201));
    const list = await held("guarded");
    expect(list.map((s) => s.endpoint).sort()).toEqual(browsers.map((b) => b.subscription.endpoint).sort());
    expect(list.every((s) => s.user === "admin")).toBe(true);

    const extra = await subscribe("guarded", testBrowser(`${push.origin}/push/guarded/extra`).subscription);
    expect(extra.status).toBe(429);
    expect(extra.body.error).toContain(`already has ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions`);
    // A browser already subscribed may subscribe again (new keys) in a full list.
    const renewed = testBrowser(browsers[3]!.subscription.endpoint);
    expect((await subscribe("guarded", renewed.subscription)).status).toBe(201);
    expect((await held("guarded")).find((s) => s.endpoint === renewed.subscription.endpoint)?.keys).toEqual(
      renewed.subscription.keys,
    );

    const gone = browsers[0]!.subscription.endpoint;
    expect(await unsubscribe("guarded", gone)).toBe(204);
    // Unsubscribing what is no longer subscribed is not an error; only who may get the Artwork may.
    expect(await unsubscribe("guarded", gone)).toBe(204);
    expect(await unsubscribe("guarded", browsers[1]!.subscription.endpoint, "alice")).toBe(403);
    const after = await held("guarded");
    expect(after).toHaveLength(MAX_PUSH_SUBSCRIPTIONS - 1);
    expect(after.some((s) => s.endpoint === gone)).toBe(false);
    // The Artwork never finished: nothing was sent.
    expect(browsers.flatMap((b) => push.received(new URL(b.subscription.endpoint).pathname))).toEqual([]);
  });
});

describe("notifications", () => {
  const sunrise = { name: "sunrise", prompt: "a sunrise over a quiet harbour" };
  let browser: ReturnType<typeof testBrowser>;
  let flakyBrowser: ReturnType<typeof testBrowser>;

  it("reach a browser subscribed before its Artwork was ready: an aes128gcm message it decrypts, signed for the endpoint's origin", async () => {
    await createArtwork(ns, sunrise.name, { ...QUICK, prompt: sunrise.prompt, poolRef: { name: "studio" } });
    browser = testBrowser(`${push.origin}/push/sunrise`);
    const res = await subscribe(sunrise.name, browser.subscription);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await held(sunrise.name)).map((s) => s.endpoint)).toEqual([browser.subscription.endpoint]);

    await waitForWorkerReady(startWorker(ns, "studio", "w1"));
    const art = await eventually(() => getArtwork(ns, sunrise.name), isReady, 120_000, 250);
    const [request] = await arrived("/push/sunrise");
    expect(request!.headers["content-encoding"]).toBe("aes128gcm");
    expect(Number(request!.headers.ttl)).toBeGreaterThan(0);
    expect(request!.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);

    const payload = JSON.parse(browser.decrypt(request!.body)) as Record<string, unknown>;
    expect(payload).toMatchObject({
      title: "sunrise is ready",
      body: sunrise.prompt,
      url: `/#/${ns}/sunrise`,
      artwork: { namespace: ns, name: "sunrise" },
      phase: "Succeeded",
    });
    const selected = art.status!.selected!.index;
    expect(payload.image).toMatch(
      new RegExp(`^/api/namespaces/${ns}/artworks/sunrise/images/${selected}\\?w=\\d+`),
    );
    // The thumbnail it names is served to the subscriber.
    const thumb = await api(payload.image as string);
    expect(thumb.status).toBe(200);

    const vapid = readVapid(request!.headers.authorization);
    expect(vapid.publicKey).toBe(vapidKeysFromPem(keyPem).publicKey);
    expect(vapid.signed).toBe(true);
    expect(vapid.header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(vapid.claims.aud).toBe(push.origin);
    expect(vapid.claims.sub).toBe(SUBJECT);
    expect(vapid.claims.exp * 1000).toBeGreaterThan(Date.now());
    expect(vapid.claims.exp * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);

    // Delivered, so no longer held: no restart or new leader can send it again.
    await eventually(
      () => held(sunrise.name),
      (l) => l.length === 0,
      30_000,
    );
    expect(await scrapeMetric(operator, "aria_push_notifications_total", { outcome: "sent" })).toBe(1);
  });

  it("reach a browser subscribed after its Artwork was ready, and tell of a failure too", async () => {
    const late = testBrowser(`${push.origin}/push/sunrise-late`);
    expect((await subscribe(sunrise.name, late.subscription)).status).toBe(201);
    const [request] = await arrived("/push/sunrise-late");
    expect(JSON.parse(late.decrypt(request!.body))).toMatchObject({
      title: "sunrise is ready",
      phase: "Succeeded",
    });

    // Too big to finish in a second: the operator fails it with Timeout.
    await createArtwork(ns, "hasty", {
      poolRef: { name: "studio" },
      width: 512,
      height: 512,
      steps: 150,
      variations: 8,
      timeoutSeconds: 1,
    });
    const failing = testBrowser(`${push.origin}/push/hasty`);
    expect((await subscribe("hasty", failing.subscription)).status).toBe(201);
    const [failure] = await arrived("/push/hasty");
    const payload = JSON.parse(failing.decrypt(failure!.body)) as Record<string, unknown>;
    expect(payload).toMatchObject({
      title: "hasty failed",
      body: "did not finish within spec.timeoutSeconds (1s)",
      phase: "Failed",
      artwork: { namespace: ns, name: "hasty" },
    });
    expect(payload).not.toHaveProperty("image");
  });

  it("drop a subscription whose push service answers 410, and retry one that fails", async () => {
    push.answer("/gone/noon", 410);
    push.answer("/flaky/noon", 503, 201);
    const gone = testBrowser(`${push.origin}/gone/noon`);
    flakyBrowser = testBrowser(`${push.origin}/flaky/noon`);
    await createArtwork(ns, "noon", { ...QUICK, poolRef: { name: "studio" } });
    for (const b of [gone, flakyBrowser]) expect((await subscribe("noon", b.subscription)).status).toBe(201);
    await arrived("/gone/noon");
    await arrived("/flaky/noon");
    // The gone one is dropped; the flaky one waits for its next attempt, its failure counted.
    const waiting = await eventually(
      () => held("noon"),
      (l) => l.length === 1 && l[0]!.failures === 1,
      30_000,
    );
    expect(waiting[0]).toMatchObject({ endpoint: flakyBrowser.subscription.endpoint, failures: 1 });
    expect(Date.parse(waiting[0]!.retryAt!)).toBeGreaterThan(0);
    expect(await scrapeMetric(operator, "aria_push_notifications_total", { outcome: "gone" })).toBe(1);
    expect(await scrapeMetric(operator, "aria_push_notifications_total", { outcome: "retried" })).toBe(1);
  });

  it("are neither lost nor sent twice when the leader crashes and another operator takes over", async () => {
    // The flaky subscription is still waiting for its retry when the leader dies.
    expect(await held("noon")).toHaveLength(1);
    await operator.kill("SIGKILL");
    operator = startPushOperator();
    await waitForLeading(operator);
    const [, second] = await arrived("/flaky/noon", 2);
    expect(JSON.parse(flakyBrowser.decrypt(second!.body))).toMatchObject({ title: "noon is ready" });
    await eventually(
      () => held("noon"),
      (l) => l.length === 0,
      30_000,
    );
    // Every Artwork has been looked at by the new leader's notifier ...
    const artworks = (await listArtworks(ns)).length;
    await waitFor(
      "the new leader's notifier reconciled every Artwork",
      () => scrapeMetric(operator, "controller_runtime_reconcile_total", { controller: "push" }),
      (n) => n >= artworks,
      { proc: operator },
    );
    // ... and sent nothing that had been delivered before.
    for (const path of ["/push/sunrise", "/push/sunrise-late", "/push/hasty", "/gone/noon"])
      expect(push.received(path), path).toHaveLength(1);
    expect(await scrapeMetric(operator, "aria_push_notifications_total", { outcome: "sent" })).toBe(1);
  });
});
