// Bounded feedback storage: a popular Artwork's reactions, arriving together through the feedback
// API, are written in groups and folded and compacted as they come, so neither the Artwork nor the
// LearningState grows with history, and each reaction counts once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEARNING_STATE } from "../../crds/api.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { aria, createArtwork, createPool, eventually, getArtwork, QUICK } from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { foldedTotal, markRendered, viaApi } from "../support/reactions.ts";
import { waitForLeading } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;
const REACTIONS = 1_000;
const CLIENTS = 50;
const LIMIT = 100 * 1024;

beforeAll(async () => {
  ns = await createNamespace("bounds");
  operator = startOperator(ns);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 0 });
  await createArtwork(ns, "viral", { ...QUICK, poolRef: { name: "studio" } });
  await markRendered(ns, "viral");
});
afterAll(stopAll);

describe("a popular Artwork", () => {
  it(`takes ${REACTIONS} reactions from ${CLIENTS} clients at once, counts each once, and stays small`, async () => {
    let biggest = { artwork: 0, learningState: 0 };
    let sending = true;
    const sample = (async () => {
      while (sending) {
        const art = await getArtwork(ns, "viral");
        const ls = await aria()
          .get<LearningState>(LEARNING_STATE, ns, "studio")
          .catch(() => undefined);
        biggest = {
          artwork: Math.max(biggest.artwork, JSON.stringify(art).length),
          learningState: Math.max(biggest.learningState, JSON.stringify(ls ?? {}).length),
        };
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = c; i < REACTIONS; i += CLIENTS)
          await viaApi(() => operator.securePort(), ns, "viral", i % 3 ? "like" : "love", `r-${i}`);
      }),
    );
    await eventually(
      () => foldedTotal(ns, "studio"),
      (n) => n >= REACTIONS,
      60_000,
      250,
    );
    sending = false;
    await sample;
    await new Promise((r) => setTimeout(r, 2_000));
    const ls = await aria().get<LearningState>(LEARNING_STATE, ns, "studio");
    const loves = Math.ceil(REACTIONS / 3);
    expect(ls.status?.events).toEqual({ like: REACTIONS - loves, love: loves });
    const art = await eventually(
      () => getArtwork(ns, "viral"),
      (a) => (a.status?.feedback?.like ?? 0) + (a.status?.feedback?.love ?? 0) === REACTIONS,
      30_000,
    );
    // Folded reactions are compacted into counts: what is left is the counts and the hashed ids
    // of the last 1,024 requests (for late retries).
    const log = JSON.parse(art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION] ?? "{}") as {
      pending?: unknown[];
    };
    expect(log.pending).toEqual([]);
    expect(art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION]?.length).toBeLessThan(24 * 1024);
    expect(biggest.artwork).toBeLessThan(LIMIT);
    expect(biggest.learningState).toBeLessThan(LIMIT);
  });
});
