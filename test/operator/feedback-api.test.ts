// The feedback API over HTTPS: Kubernetes tokens, Kubernetes permissions, clear 4xx errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEEDBACK_ANNOTATION, MAX_PENDING_REACTIONS } from "../../crds/worker-protocol.ts";
import { createArtwork, createPool, eventually, getArtwork, QUICK } from "../support/artworks.ts";
import { controlPlane, createNamespace, grant, servingTls, user } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitForLeading } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;

async function post(body: object, user?: "admin" | "alice" | "bob", path = "/api/feedback") {
  const token = user ? controlPlane().tokens[user] : undefined;
  const res = await httpsJson(operator, path, { ca: servingTls().ca, body, ...(token ? { token } : {}) });
  return { status: res.status, body: res.body };
}

beforeAll(async () => {
  ns = await createNamespace("api");
  operator = startOperator(ns);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 0 });
  await createArtwork(ns, "sunset", { ...QUICK, poolRef: { name: "studio" } });
  // alice may react to Artworks in this namespace; bob may not.
  await grant(
    ns,
    "artwork-reactor",
    [{ apiGroups: ["aria.dev"], resources: ["artworks"], verbs: ["get", "list", "patch", "create"] }],
    user("alice"),
  );
  // bob may read what Aria learned here (LearningStates), but not touch Artworks.
  await grant(
    ns,
    "learning-reader",
    [{ apiGroups: ["aria.dev"], resources: ["learningstates"], verbs: ["get", "list"] }],
    user("bob"),
  );
});
afterAll(stopAll);

describe("POST /api/feedback", () => {
  it("answers 401 without a token", async () => {
    const res = await post({ namespace: ns, artwork: "sunset", action: "love" });
    expect(res.status).toBe(401);
    expect(res.body.error).toContain("bearer token");
  });

  it("answers 401 for a token the API server does not know", async () => {
    const res = await httpsJson(operator, "/api/feedback", {
      ca: servingTls().ca,
      token: "not-a-real-token",
      body: { namespace: ns, artwork: "sunset", action: "love" },
    });
    expect(res.status).toBe(401);
  });

  it("answers 403 when the caller may not patch the Artwork", async () => {
    const res = await post({ namespace: ns, artwork: "sunset", action: "love" }, "bob");
    expect(res.status).toBe(403);
    expect(res.body.error).toContain(`bob may not patch artworks.aria.dev "sunset" in namespace "${ns}"`);
  });

  it("answers 400 naming the field on bad input", async () => {
    const bad = await post({ namespace: ns, artwork: "sunset", action: "adore" }, "alice");
    expect(bad).toEqual({
      status: 400,
      body: { field: "action", error: "action must be one of like, love, download, share, delete" },
    });
    const noName = await post({ namespace: ns, action: "like" }, "alice");
    expect(noName.status).toBe(400);
    expect(noName.body.field).toBe("artwork");
  });

  it("answers 404 for an Artwork that does not exist", async () => {
    const res = await post({ namespace: ns, artwork: "nothing-here", action: "like" }, "alice");
    expect(res.status).toBe(404);
  });

  it("accepts a permitted reaction with 202 and writes it as the feedback annotation", async () => {
    const res = await post({ namespace: ns, artwork: "sunset", action: "love" }, "alice");
    expect(res).toEqual({
      status: 202,
      body: { accepted: true, namespace: ns, artwork: "sunset", action: "love" },
    });
    const art = await eventually(
      () => getArtwork(ns, "sunset"),
      (a) => (a.metadata.annotations?.["aria.dev/feedback-log"] ?? "").includes('"love"'),
      20_000,
    );
    expect(art.metadata.annotations?.[FEEDBACK_ANNOTATION]).toBeUndefined();
  });

  it("takes a retried request with the same requestId only once", async () => {
    const first = await post(
      { namespace: ns, artwork: "sunset", action: "share", requestId: "share-1" },
      "alice",
    );
    const retry = await post(
      { namespace: ns, artwork: "sunset", action: "share", requestId: "share-1" },
      "alice",
    );
    expect([first.status, retry.status]).toEqual([202, 202]);
    await new Promise((r) => setTimeout(r, 1500));
    const art = await getArtwork(ns, "sunset");
    const log = JSON.parse(art.metadata.annotations?.["aria.dev/feedback-log"] ?? "{}") as {
      pending: Array<{ action: string }>;
    };
    expect(log.pending.filter((e) => e.action === "share")).toHaveLength(1);
    const bad = await post(
      { namespace: ns, artwork: "sunset", action: "share", requestId: "no spaces" },
      "alice",
    );
    expect(bad.body.field).toBe("requestId");
  });

  it(`asks for a retry (429, Retry-After) once an Artwork holds ${MAX_PENDING_REACTIONS} unfolded reactions, losing none`, async () => {
    // Never rendered, so nothing folds its reactions and they stay pending.
    await createArtwork(ns, "crowded", { ...QUICK, poolRef: { name: "studio" } });
    const send = (i: number) =>
      post({ namespace: ns, artwork: "crowded", action: "like", requestId: `crowd-${i}` }, "alice");
    const first = await Promise.all(Array.from({ length: MAX_PENDING_REACTIONS }, (_, i) => send(i)));
    expect(first.every((r) => r.status === 202)).toBe(true);
    const res = await httpsJson(operator, "/api/feedback", {
      ca: servingTls().ca,
      token: controlPlane().tokens.alice,
      body: { namespace: ns, artwork: "crowded", action: "love" },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    const art = await getArtwork(ns, "crowded");
    expect(art.metadata.annotations?.["aria.dev/feedback-log"]?.length).toBeLessThan(100 * 1024);
    const log = JSON.parse(art.metadata.annotations?.["aria.dev/feedback-log"] ?? "{}") as {
      pending: Array<{ action: string; source?: string }>;
    };
    expect(new Set(log.pending.map((e) => e.source)).size).toBe(MAX_PENDING_REACTIONS);
    expect(log.pending.some((e) => e.action === "love")).toBe(false);
  });

  it("suggests a model and parameters for a mood", async () => {
    const res = await post({ namespace: ns, pool: "studio", mood: "serene" }, "alice", "/api/suggestions");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mood: "serene", model: "aria-painter" });
    const bad = await post({ namespace: ns, pool: "studio", mood: "furious" }, "alice", "/api/suggestions");
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("mood");
  });
});

describe("GET /api/feedback/stats", () => {
  const stats = (user: "alice" | "bob") =>
    httpsJson(operator, `/api/feedback/stats?namespace=${ns}`, {
      ca: servingTls().ca,
      token: controlPlane().tokens[user],
    });

  it("answers with LearningState data only to who may list LearningStates", async () => {
    const alice = await stats("alice");
    expect(alice.status).toBe(403);
    expect(alice.body.error).toBe(`alice may not list learningstates.aria.dev in namespace "${ns}"`);
    const bob = await stats("bob");
    expect(bob.status).toBe(200);
    expect(bob.body.namespace).toBe(ns);
  });
});

describe("transport", () => {
  it("serves the API over HTTPS only, and not on the plain probe port", async () => {
    const secure = await operator.securePort();
    const plainOnSecure = await fetch(`http://127.0.0.1:${secure}/api/feedback/stats`).then(
      (r) => r.status,
      () => 0,
    );
    expect(plainOnSecure === 0 || plainOnSecure >= 400).toBe(true);
    const onProbePort = await fetch(`http://127.0.0.1:${await operator.port()}/api/feedback/stats`, {
      headers: { Authorization: `Bearer ${controlPlane().tokens.admin}` },
    });
    expect(onProbePort.status).toBe(404);
  });
});
