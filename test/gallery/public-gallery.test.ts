// A public gallery: a namespace labelled aria.dev/gallery=public shows its Artworks to visitors
// without a token, and, labelled aria.dev/gallery-reactions=public too, takes their reactions, each
// visitor counted once per action and Artwork; nothing else opens, and visitors are rate-limited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEARNING_STATE } from "../../crds/api.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import {
  aria,
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  QUICK,
} from "../support/artworks.ts";
import { controlPlane, createNamespace, kubectl, servingTls } from "../support/cluster.ts";
import { httpsBytes, httpsJson } from "../support/https.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let closed: string;
let operator: OperatorProc;
const ca = () => servingTls().ca;

const anonymous = (path: string, body?: object) =>
  httpsJson(operator, path, { ca: ca(), ...(body ? { method: "POST", body } : {}) });
const react = (visitor: string | undefined, action = "love") =>
  anonymous("/api/feedback", { namespace: ns, artwork: "lantern", action, ...(visitor ? { visitor } : {}) });

async function loves() {
  const ls = await aria()
    .get<LearningState>(LEARNING_STATE, ns, "hall")
    .catch(() => undefined);
  return ls?.status?.events?.love ?? 0;
}

async function label(...labels: string[]) {
  const r = await kubectl(["label", "namespace", ns, "--overwrite", ...labels]);
  expect(r.code, r.stderr).toBe(0);
  // The operator reads labels through a cache as old as its review cache (1 s here).
  await new Promise((r) => setTimeout(r, 1500));
}

beforeAll(async () => {
  ns = await createNamespace("public");
  closed = await createNamespace("private");
  operator = startOperator(ns, { args: ["--auth-cache-ttl", "1"] });
  await waitForLeading(operator);
  await createPool(ns, "hall", { replicas: 1 });
  await waitForWorkerReady(startWorker(ns, "hall", "w1"));
  await createArtwork(ns, "lantern", { ...QUICK, prompt: "a paper lantern", poolRef: { name: "hall" } });
  await eventually(() => getArtwork(ns, "lantern"), isReady, 120_000, 500);
  await label("aria.dev/gallery=public");
}, 300_000);
afterAll(stopAll);

describe("a public gallery", () => {
  it("shows its Artworks and their images to a visitor without a token", async () => {
    const list = await anonymous(`/api/namespaces/${ns}/artworks`);
    expect(list.status).toBe(200);
    const items = (list.body as { items: Array<{ name: string; selected?: { thumbnail?: string } }> }).items;
    expect(items.map((i) => i.name)).toEqual(["lantern"]);
    const thumb = await httpsBytes(operator, items[0]!.selected!.thumbnail!, { ca: ca() });
    expect(thumb.status).toBe(200);
    expect((await anonymous(`/api/namespaces/${ns}/artworks/lantern`)).status).toBe(200);
  });

  it("opens nothing else: other namespaces, creating, deleting, reacting before reactions are opened", async () => {
    expect((await anonymous(`/api/namespaces/${closed}/artworks`)).status).toBe(401);
    expect(
      (await anonymous(`/api/namespaces/${ns}/artworks`, { prompt: "x", poolRef: { name: "hall" } })).status,
    ).toBe(401);
    const del = await httpsJson(operator, `/api/namespaces/${ns}/artworks/lantern`, {
      ca: ca(),
      method: "DELETE",
    });
    expect(del.status).toBe(401);
    expect((await react("visitor-a")).status).toBe(401);
    expect(await getArtwork(ns, "lantern")).toBeDefined();
  });

  it("counts each visitor's reaction once per action and Artwork once reactions are opened", async () => {
    await label("aria.dev/gallery-reactions=public");
    const before = await loves();
    const missing = await react(undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe("visitor");
    for (let i = 0; i < 3; i++) expect((await react("visitor-a")).status).toBe(202);
    expect((await react("visitor-b")).status).toBe(202);
    await eventually(loves, (n) => n === before + 2, 60_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await loves()).toBe(before + 2);
    // A person with a token counts per click as before.
    const admin = controlPlane().tokens.admin;
    const body = { namespace: ns, artwork: "lantern", action: "love", requestId: "admin-1" };
    expect(
      (await httpsJson(operator, "/api/feedback", { ca: ca(), token: admin, method: "POST", body })).status,
    ).toBe(202);
    await eventually(loves, (n) => n === before + 3, 60_000, 250);
  });

  it("limits how fast one address reacts without a token", async () => {
    const answers: number[] = [];
    for (let i = 0; i < 40; i++) answers.push((await react(`crowd-${i}`, "like")).status);
    expect(answers.filter((s) => s === 202).length).toBeLessThanOrEqual(30);
    expect(answers.at(-1)).toBe(429);
  });

  it("closes again when the label goes", async () => {
    await label("aria.dev/gallery-");
    expect((await anonymous(`/api/namespaces/${ns}/artworks`)).status).toBe(401);
  });
});
