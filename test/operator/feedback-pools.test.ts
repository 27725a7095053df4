// Exactly once across a pool's lifetime: its reactions stay counted once when the pool is deleted
// and re-created, or points its learningStateRef elsewhere and back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_POOL } from "../../crds/api.ts";
import { aria, createArtwork, createPool, eventually, QUICK } from "../support/artworks.ts";
import { createNamespace, kubectl } from "../support/cluster.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { foldedTotal, markRendered, viaApi } from "../support/reactions.ts";
import { waitForLeading } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;
const ARTWORKS = ["dawn", "noon", "dusk"];

beforeAll(async () => {
  ns = await createNamespace("pools");
  operator = startOperator(ns);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 0 });
  for (const name of ARTWORKS) {
    await createArtwork(ns, name, { ...QUICK, poolRef: { name: "studio" } });
    await markRendered(ns, name);
  }
});
afterAll(stopAll);

async function react(name: string, n: number, tag: string) {
  await Promise.all(
    Array.from({ length: n }, (_, i) => viaApi(() => operator.securePort(), ns, name, "like", `${tag}-${i}`)),
  );
}

/** All reactions folded in the namespace's LearningStates, once it has held `expected` for 3 s. */
async function settledTotal(expected: number, names = ["studio"]) {
  const sum = async () =>
    (await Promise.all(names.map((n) => foldedTotal(ns, n)))).reduce((a, b) => a + b, 0);
  await eventually(sum, (n) => n >= expected, 60_000, 250);
  await new Promise((r) => setTimeout(r, 3_000));
  return sum();
}

describe("reactions of a pool that changes", () => {
  it("are counted once when the pool is deleted and re-created", async () => {
    for (const name of ARTWORKS) await react(name, 10, `first-${name}`);
    expect(await settledTotal(30)).toBe(30);
    expect((await kubectl(["-n", ns, "delete", "modelpool", "studio", "--wait=false"])).code).toBe(0);
    await eventually(
      () =>
        aria()
          .get(MODEL_POOL, ns, "studio")
          .then(
            () => false,
            () => true,
          ),
      (gone) => gone,
      30_000,
    );
    // Reactions go on arriving while the pool is away.
    await react("noon", 1, "while-gone");
    await new Promise((r) => setTimeout(r, 2_000));
    await createPool(ns, "studio", { replicas: 0 });
    await react("dawn", 1, "after-recreate");
    expect(await settledTotal(32)).toBe(32);
  });

  it("are counted once when the pool's learningStateRef moves to another LearningState and back", async () => {
    const point = async (name: string | null) => {
      const patch = JSON.stringify({ spec: { learningStateRef: name ? { name } : null } });
      const res = await kubectl(["-n", ns, "patch", "modelpool", "studio", "--type=merge", "-p", patch]);
      expect(res.stderr).toBe("");
    };
    await point("elsewhere");
    await react("noon", 5, "elsewhere");
    expect(await settledTotal(37, ["studio", "elsewhere"])).toBe(37);
    expect(await foldedTotal(ns, "elsewhere")).toBe(5);
    await point(null);
    await react("dusk", 5, "back");
    expect(await settledTotal(42, ["studio", "elsewhere"])).toBe(42);
    expect(await foldedTotal(ns, "studio")).toBe(37);
  });
});
