// Reactions counted exactly once: 200 written concurrently through annotations and the feedback
// API while the operator restarts twice; deletion is itself a reaction and removes stored images.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTWORK, LEARNING_STATE } from "../../crds/api.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { FEEDBACK_ANNOTATION, FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { isConflict } from "../../lib/kube/kube-errors.ts";
import {
  aria,
  artworkEvents,
  createArtwork,
  createPool,
  deleteArtwork,
  eventually,
  getArtwork,
  isReady,
  listArtworks,
  QUICK,
  waitForGone,
} from "../support/artworks.ts";
import { createNamespace } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { viaApi } from "../support/reactions.ts";
import { waitForLeading, waitForWorkerReady } from "../support/waits.ts";

let ns: string;
let operator: OperatorProc;
const ACTIONS = ["like", "love", "download", "share"] as const;

beforeAll(async () => {
  ns = await createNamespace("feedback");
  operator = startOperator(ns);
  await createPool(ns, "studio", { replicas: 1 });
  await waitForWorkerReady(startWorker(ns, "studio", "w1"));
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      createArtwork(ns, `liked-${i}`, { ...QUICK, poolRef: { name: "studio" } }),
    ),
  );
  await eventually(
    () => listArtworks(ns),
    (l) => l.length === 10 && l.every(isReady),
    120_000,
    500,
  );
});
afterAll(stopAll);

/** As `kubectl annotate` without --overwrite: only sets the annotation when it is free. */
async function annotate(name: string, action: string) {
  for (;;) {
    const art = await getArtwork(ns, name);
    if (art.metadata.annotations?.[FEEDBACK_ANNOTATION] === undefined) {
      try {
        await aria().patchMetadata(
          ARTWORK,
          ns,
          name,
          { annotations: { [FEEDBACK_ANNOTATION]: action } },
          art.metadata.resourceVersion,
        );
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    // A person or script waiting for the annotation to free up; ten checks a second from each of a
    // hundred writers would load the API server more than anything Aria does here.
    await new Promise((r) => setTimeout(r, 250 + Math.random() * 250));
  }
}

describe("feedback", () => {
  it("counts 200 concurrent reactions exactly once across two operator restarts", async () => {
    const sent: Record<string, number> = {};
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const name = `liked-${i % 10}`;
      const action = ACTIONS[i % ACTIONS.length]!;
      sent[action] = (sent[action] ?? 0) + 1;
      jobs.push(
        i % 2 === 0
          ? annotate(name, action)
          : viaApi(() => operator.securePort(), ns, name, action, `reaction-${i}`).then(() => undefined),
      );
    }
    for (let restart = 0; restart < 2; restart++) {
      await new Promise((r) => setTimeout(r, 1500));
      await operator.kill("SIGKILL");
      operator = startOperator(ns);
      await waitForLeading(operator, 30_000);
    }
    await Promise.all(jobs);
    const ls = await eventually(
      () => aria().get<LearningState>(LEARNING_STATE, ns, "studio"),
      (l) => Object.values(l.status?.events ?? {}).reduce((a, b) => a + b, 0) >= 200,
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const settled = await aria().get<LearningState>(LEARNING_STATE, ns, "studio");
    expect(settled.status?.events).toEqual(sent);
    const arm = settled.status?.arms?.find((a) => a.model === "aria-painter");
    expect(arm?.pulls).toBeCloseTo(200, 0);
    expect(ls.status?.promptPatterns?.map((p) => p.term)).toEqual(expect.arrayContaining(["fox", "forest"]));
    const arts = await listArtworks(ns);
    expect(
      arts.reduce((n, a) => n + Object.values(a.status?.feedback ?? {}).reduce((x, y) => x + y, 0), 0),
    ).toBe(200);
  });

  it("drops an unknown reaction with a Warning event naming the allowed values", async () => {
    await aria().patchMetadata(ARTWORK, ns, "liked-0", { annotations: { [FEEDBACK_ANNOTATION]: "meh" } });
    const art = await eventually(
      () => getArtwork(ns, "liked-0"),
      (a) => a.metadata.annotations?.[FEEDBACK_ANNOTATION] === undefined,
      20_000,
    );
    expect(art.metadata.annotations?.[FEEDBACK_ANNOTATION]).toBeUndefined();
  });

  it("folds a deletion as a reaction and removes the Artwork's stored images", async () => {
    const art = await getArtwork(ns, "liked-3");
    const files = [
      ...(art.status?.candidates ?? []).map((c) => c.uri),
      ...(art.status?.selected?.images ?? []).map((i) => i.uri),
    ].map((u) => fileURLToPath(u));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(existsSync(f)).toBe(true);
    const before =
      (await aria().get<LearningState>(LEARNING_STATE, ns, "studio")).status?.events?.delete ?? 0;
    await deleteArtwork(ns, "liked-3");
    await waitForGone(ns, "liked-3");
    const ls = await aria().get<LearningState>(LEARNING_STATE, ns, "studio");
    expect(ls.status?.events?.delete).toBe(before + 1);
    // The LearningState forgets the gone Artwork on its next fold, once the deletion reaches it.
    await eventually(
      () => aria().get<LearningState>(LEARNING_STATE, ns, "studio"),
      (l) => !Object.keys(l.status?.folded ?? {}).some((k) => k.endsWith(art.metadata.uid ?? "")),
      10_000,
    );
    for (const f of files) expect(existsSync(f)).toBe(false);
  });

  it("keeps the images of an Artwork with retainPolicy Retain", async () => {
    await createArtwork(ns, "keeper", { ...QUICK, poolRef: { name: "studio" }, retainPolicy: "Retain" });
    const art = await eventually(() => getArtwork(ns, "keeper"), isReady, 60_000);
    const file = fileURLToPath(art.status?.selected?.images[0]?.uri ?? "");
    await deleteArtwork(ns, "keeper");
    await waitForGone(ns, "keeper");
    expect(existsSync(file)).toBe(true);
  });

  it("reports a feedback log edited into something unreadable on that Artwork alone, and still deletes it", async () => {
    await createArtwork(ns, "scrawled", { ...QUICK, poolRef: { name: "studio" } });
    await eventually(() => getArtwork(ns, "scrawled"), isReady, 60_000);
    await aria().patchMetadata(ARTWORK, ns, "scrawled", { annotations: { [FEEDBACK_LOG_ANNOTATION]: "{}" } });
    const marked = await eventually(
      () => getArtwork(ns, "scrawled"),
      (a) =>
        a.status?.conditions?.some((c) => c.type === "FeedbackLogValid" && c.status === "False") ?? false,
      20_000,
    );
    expect(marked.status?.conditions?.find((c) => c.type === "FeedbackLogValid")).toMatchObject({
      reason: "InvalidFeedbackLog",
      message: expect.stringContaining(`${FEEDBACK_LOG_ANNOTATION}: /through`),
    });
    await eventually(
      () => artworkEvents(ns),
      (events) => events.some((e) => e.artwork === "scrawled" && e.reason === "InvalidFeedbackLog"),
      10_000,
    );
    // The other Artworks of the LearningState go on being learned from.
    // (The LearningState is made with the pool's first reaction, which may be this one.)
    const likes = () =>
      aria()
        .get<LearningState>(LEARNING_STATE, ns, "studio")
        .then(
          (ls) => ls.status?.events?.like ?? 0,
          () => 0,
        );
    const before = await likes();
    await annotate("liked-8", "like");
    await eventually(likes, (n) => n === before + 1, 30_000);
    await deleteArtwork(ns, "scrawled");
    await waitForGone(ns, "scrawled");
  });
});
