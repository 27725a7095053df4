// The gallery's read API over HTTPS, as the web app will call it: newest first, filters, a cursor
// that covers every Artwork once, the detail with every candidate's scores and a YAML that kubectl
// re-applies; Kubernetes tokens and permissions as the feedback API checks them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Artwork } from "../../crds/artwork.ts";
import {
  createArtwork,
  createPool,
  eventually,
  getArtwork,
  isReady,
  listArtworks,
  QUICK,
} from "../support/artworks.ts";
import { controlPlane, createNamespace, grant, kubectl, servingTls, user } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;
const RENDERED = ["dawn", "noon", "dusk"] as const;
const CROWD = Array.from({ length: 12 }, (_, i) => `crowd-${String(i).padStart(2, "0")}`);

interface Summary {
  name: string;
  prompt: string;
  mood: string;
  phase?: string;
  model?: string;
  selected?: { index: number; score: number; uri?: string };
  creationTimestamp: string;
}
interface Page {
  items: Summary[];
  continue?: string;
}

async function get(path: string, as: "admin" | "alice" | "bob" | "nobody" = "admin") {
  const token = as === "nobody" ? undefined : controlPlane().tokens[as];
  return httpsJson(operator, `/api/namespaces/${ns}${path}`, {
    ca: servingTls().ca,
    ...(token ? { token } : {}),
  });
}

async function page(query: string, as: "admin" | "bob" = "admin"): Promise<Page> {
  const res = await get(`/artworks${query}`, as);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as Page;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Newest first, equal creation seconds by name: the order the API server's timestamps imply. */
function newestFirst(arts: Artwork[]) {
  const at = (a: Artwork) => new Date(a.metadata.creationTimestamp ?? 0).getTime();
  return [...arts]
    .sort((a, b) => at(b) - at(a) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))
    .map((a) => a.metadata.name);
}

beforeAll(async () => {
  ns = await createNamespace("gallery");
  operator = startOperator(ns);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 1 });
  await createPool(ns, "idle", { replicas: 0 });
  await waitForWorkerReady(startWorker(ns, "studio", "w1"));
  // A second apart: the API server keeps creation times in whole seconds.
  const moods = { dawn: "serene", noon: "joyful", dusk: "serene" } as const;
  for (const name of RENDERED) {
    await createArtwork(ns, name, {
      ...QUICK,
      variations: 2,
      mood: moods[name],
      prompt: `a ${name} sky over the sea`,
      poolRef: { name: "studio" },
    });
    await pause(1100);
  }
  // Never rendered (no workers in their pool), created together.
  await Promise.all(
    CROWD.map((name) => createArtwork(ns, name, { ...QUICK, mood: "dramatic", poolRef: { name: "idle" } })),
  );
  await eventually(
    () => Promise.all(RENDERED.map((n) => getArtwork(ns, n))),
    (arts) => arts.every(isReady),
    120_000,
    500,
  );
  // alice has no rights here; bob may list Artworks but not get one.
  await grant(
    ns,
    "artwork-lister",
    [{ apiGroups: ["aria.dev"], resources: ["artworks"], verbs: ["list"] }],
    user("bob"),
  );
  // The API reads the operator's cache: wait until it holds the rendered results.
  await eventually(
    () => page(`?limit=200&phase=Succeeded`),
    (p) => p.items.length === RENDERED.length,
    30_000,
  );
}, 300_000);
afterAll(stopAll);

describe("GET /api/namespaces/:namespace/artworks", () => {
  it("lists the namespace's Artworks newest first, each as a summary without candidate lists", async () => {
    const { items, continue: token } = await page("");
    expect(token).toBeUndefined();
    const names = items.map((i) => i.name);
    expect(names).toEqual(newestFirst(await listArtworks(ns)));
    expect(names.slice(-3)).toEqual(["dusk", "noon", "dawn"]);
    expect(names.slice(0, CROWD.length).sort()).toEqual(CROWD);
    const dawn = items.find((i) => i.name === "dawn");
    expect(dawn).toMatchObject({
      prompt: "a dawn sky over the sea",
      mood: "serene",
      phase: "Succeeded",
      model: "aria-painter",
      selected: { score: expect.any(Number), uri: expect.any(String) },
    });
    expect(dawn).not.toHaveProperty("candidates");
    expect(Date.parse(dawn?.creationTimestamp ?? "")).toBeGreaterThan(0);
  });

  it("filters by mood, model and phase", async () => {
    expect((await page("?mood=serene")).items.map((i) => i.name)).toEqual(["dusk", "dawn"]);
    expect((await page("?mood=dramatic")).items.map((i) => i.name).sort()).toEqual(CROWD);
    expect((await page("?model=aria-painter&phase=Succeeded")).items.map((i) => i.name)).toEqual([
      "dusk",
      "noon",
      "dawn",
    ]);
    expect((await page("?model=no-such-model")).items).toEqual([]);
    expect((await page("?phase=Pending")).items.map((i) => i.name).sort()).toEqual(CROWD);
    expect((await page("?phase=Succeeded&mood=dramatic")).items).toEqual([]);
  });

  it("pages with a cursor that covers every Artwork exactly once, even while more are created", async () => {
    const all = (await page("?limit=200")).items.map((i) => i.name);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await page(`?limit=4${token ? `&continue=${encodeURIComponent(token)}` : ""}`);
      expect(p.items.length).toBeLessThanOrEqual(4);
      seen.push(...p.items.map((i) => i.name));
      token = p.continue;
      // A newer Artwork sorts before every page already read, so it moves nothing after the cursor.
      if (pages++ === 0) {
        await pause(1100);
        await createArtwork(ns, "latecomer", { ...QUICK, poolRef: { name: "idle" } });
        await eventually(
          () => page("?limit=1"),
          (first) => first.items[0]?.name === "latecomer",
          10_000,
        );
      }
    } while (token);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 4));
  });

  it("answers 400 naming the parameter and what it accepts", async () => {
    for (const limit of ["0", "201", "ten", "2.5"]) {
      const res = await get(`/artworks?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ field: "limit", error: "limit must be an integer from 1 to 200" });
    }
    const phase = await get("/artworks?phase=Done");
    expect(phase.status).toBe(400);
    expect(phase.body).toEqual({
      field: "phase",
      error: "phase must be one of Pending, Scheduled, Generating, Curating, Succeeded, Failed",
    });
    const mood = await get("/artworks?mood=grumpy");
    expect(mood.status).toBe(400);
    expect(mood.body.field).toBe("mood");
    const cursor = await get("/artworks?continue=not-a-cursor");
    expect(cursor.status).toBe(400);
    expect(cursor.body.field).toBe("continue");
  });

  it("answers 401 without a token or with one the API server does not know", async () => {
    const none = await get("/artworks", "nobody");
    expect(none.status).toBe(401);
    expect(none.body.error).toContain("bearer token");
    const forged = await httpsJson(operator, `/api/namespaces/${ns}/artworks`, {
      ca: servingTls().ca,
      token: "not-a-real-token",
    });
    expect(forged.status).toBe(401);
  });

  it("answers 403 to a caller who may not list artworks there, 200 to one who may", async () => {
    const alice = await get("/artworks", "alice");
    expect(alice.status).toBe(403);
    expect(alice.body.error).toBe(`alice may not list artworks.aria.dev in namespace "${ns}"`);
    expect((await page("?limit=1", "bob")).items).toHaveLength(1);
  });
});

describe("GET /api/namespaces/:namespace/artworks/:name", () => {
  it("shows the spec, every candidate's scores, the selected one and the conditions", async () => {
    const res = await get("/artworks/dawn");
    expect(res.status).toBe(200);
    const body = res.body as {
      spec: Record<string, unknown>;
      candidates: Array<{ index: number; scores: Record<string, number>; uri: string }>;
      selected: { index: number; score: number };
      conditions: Array<{ type: string; status: string }>;
    };
    expect(body.spec).toMatchObject({
      prompt: "a dawn sky over the sea",
      mood: "serene",
      steps: QUICK.steps,
      guidanceScale: QUICK.guidanceScale,
      size: { width: 64, height: 64 },
      variations: 2,
    });
    expect(body.candidates).toHaveLength(2);
    for (const c of body.candidates) {
      for (const score of ["clip", "aesthetic", "technical", "ensemble", "confidence"]) {
        expect(typeof c.scores[score], score).toBe("number");
      }
    }
    const best = Math.max(...body.candidates.map((c) => c.scores.ensemble ?? 0));
    expect(body.candidates.find((c) => c.index === body.selected.index)?.scores.ensemble).toBe(best);
    expect(body.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
  });

  it("gives a YAML manifest that re-parses to the Artwork's spec and that kubectl applies", async () => {
    const res = await get("/artworks/noon");
    const manifest = parse(res.body.yaml as string) as Artwork;
    const stored = await getArtwork(ns, "noon");
    expect(manifest).toEqual({
      apiVersion: "aria.dev/v1alpha1",
      kind: "Artwork",
      metadata: { name: "noon", namespace: ns },
      spec: stored.spec,
    });
    // Unchanged, it applies cleanly (the spec is immutable, so any drift would be refused) …
    const again = await kubectl(["apply", "-f", "-"], res.body.yaml as string);
    expect(again.code, again.stderr).toBe(0);
    // … and under a new name it is the same request rendered anew.
    manifest.metadata.name = "noon-again";
    const copy = await kubectl(["create", "-f", "-"], JSON.stringify(manifest));
    expect(copy.code, copy.stderr).toBe(0);
    expect((await getArtwork(ns, "noon-again")).spec).toEqual(stored.spec);
  });

  it("answers 404 for an Artwork that does not exist", async () => {
    const res = await get("/artworks/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(`Artwork "nothing-here" not found in namespace "${ns}"`);
  });

  it("answers 401 without a token and 403 to a caller who may not get the Artwork", async () => {
    expect((await get("/artworks/dawn", "nobody")).status).toBe(401);
    for (const who of ["alice", "bob"] as const) {
      const res = await get("/artworks/dawn", who);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe(`${who} may not get artworks.aria.dev "dawn" in namespace "${ns}"`);
    }
  });
});
