// The Learn dashboard's API over HTTPS: a namespace's LearningStates with the daily history the
// fold writes, and how its Artworks had their models chosen; Kubernetes tokens and permissions as
// /api/feedback/stats checks them (list learningstates), the choices only for callers who may also
// list the Artworks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTWORK } from "../../crds/api.ts";
import type { LearningView } from "../../operator/http/learning-view.ts";
import { aria, createArtwork, createPool, eventually, QUICK } from "../support/artworks.ts";
import { controlPlane, createNamespace, grant, servingTls, user } from "../support/cluster.ts";
import { httpsJson } from "../support/https.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { foldedTotal, viaApi } from "../support/reactions.ts";
import { waitForLeading } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;
/** The UTC days the reactions below were made on (two only when midnight passed meanwhile). */
const reactionDays = new Set<string>();
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function learning(as: "admin" | "alice" | "bob" | "nobody" | "forged") {
  const token =
    as === "nobody"
      ? undefined
      : as === "forged"
        ? "not-a-token-the-api-server-knows"
        : controlPlane().tokens[as];
  return httpsJson(operator, `/api/namespaces/${ns}/learning`, {
    ca: servingTls().ca,
    ...(token ? { token } : {}),
  });
}

beforeAll(async () => {
  ns = await createNamespace("learn");
  operator = startOperator(ns);
  await waitForLeading(operator);
  // No workers: the Artworks are made to look rendered, with the choice a scheduler would record.
  await createPool(ns, "studio", { replicas: 0 });
  const reasons = { fox: "explore", owl: "exploit", elk: "user" } as const;
  for (const [name, modelReason] of Object.entries(reasons)) {
    await createArtwork(ns, name, { ...QUICK, mood: "serene", poolRef: { name: "studio" } });
    await aria().patchStatus(ARTWORK, ns, name, { phase: "Succeeded", model: "aria-painter", modelReason });
  }
  // bob may list LearningStates here, and nothing else; alice nothing at all.
  await grant(
    ns,
    "learning-reader",
    [{ apiGroups: ["aria.dev"], resources: ["learningstates"], verbs: ["list"] }],
    user("bob"),
  );
  const port = () => operator.securePort();
  reactionDays.add(utcDay(Date.now()));
  await viaApi(port, ns, "fox", "love");
  await viaApi(port, ns, "fox", "like");
  await viaApi(port, ns, "owl", "like");
  await eventually(
    () => foldedTotal(ns, "studio"),
    (n) => n === 3,
    60_000,
    250,
  );
  reactionDays.add(utcDay(Date.now()));
}, 300_000);
afterAll(stopAll);

describe("GET /api/namespaces/:namespace/learning", () => {
  it("answers 401 without a token or with one the API server does not know", async () => {
    for (const who of ["nobody", "forged"] as const) {
      const res = await learning(who);
      expect(res.status, who).toBe(401);
      expect(res.body).not.toHaveProperty("learningStates");
    }
  });

  it("answers 403 to a caller who may not list LearningStates there", async () => {
    const res = await learning("alice");
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: `alice may not list learningstates.aria.dev in namespace "${ns}"` });
  });

  it("shows what the reactions taught, day by day, each reaction counted once", async () => {
    // The operator's cache follows the fold's write.
    const res = await eventually(
      () => learning("admin"),
      (r) => ((r.body as unknown as LearningView).learningStates?.[0]?.history.length ?? 0) > 0,
      30_000,
      250,
    );
    expect(res.status).toBe(200);
    const view = res.body as unknown as LearningView;
    expect(view.learningStates.map((ls) => ls.name)).toEqual(["studio"]);
    const [studio] = view.learningStates;
    expect(studio?.policy).toEqual({ algorithm: "epsilon-greedy", epsilon: 0.15 });
    expect(studio?.events).toEqual({ love: 1, like: 2 });
    const summed: Record<string, number> = {};
    for (const day of studio?.history ?? []) {
      expect(reactionDays).toContain(day.day);
      for (const [action, n] of Object.entries(day.events)) summed[action] = (summed[action] ?? 0) + n;
    }
    expect(summed).toEqual({ love: 1, like: 2 });
    const arms = studio?.history.at(-1)?.arms;
    expect(arms).toEqual([{ model: "aria-painter", mood: "serene", mean: expect.any(Number), pulls: 3 }]);
    // love 2, like 1, like 1: the mean reward of the one arm.
    expect(arms?.[0]?.mean).toBeCloseTo(4 / 3, 3);
    expect(studio?.promptPatterns.map((p) => p.term)).toEqual(
      expect.arrayContaining(["red", "fox", "forest"]),
    );
    expect(studio?.parameters).toEqual([expect.objectContaining({ model: "aria-painter", mood: "serene" })]);
  });

  it("counts how the namespace's Artworks had their models chosen, for callers who may list them", async () => {
    const view = (await learning("admin")).body as unknown as LearningView;
    expect(view.choices?.total).toEqual({ explore: 1, exploit: 1, user: 1 });
    const days = view.choices?.days ?? [];
    expect(days.reduce((n, d) => n + d.explore + d.exploit + d.user, 0)).toBe(3);
    // bob may read the LearningStates but not list the Artworks: no choices for him.
    const bob = await learning("bob");
    expect(bob.status).toBe(200);
    expect((bob.body as unknown as LearningView).learningStates).toHaveLength(1);
    expect(bob.body).not.toHaveProperty("choices");
  });
});
