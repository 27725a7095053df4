import { describe, expect, it } from "vitest";
import {
  ago,
  artwork,
  boundArtwork,
  modelPool,
  NAMESPACE,
  NOW,
  POOL,
  POOL_MODELS,
  workerView,
} from "../../test/fixtures/operator-objects.ts";
import { decideArtwork, RELABEL_GRACE_MS } from "./artwork-controller.ts";

const pool = modelPool();
const live = workerView("w1");
const expired = workerView("w1", {}, NOW - 1);

describe("decideArtwork: what admission cannot check", () => {
  it("waits, stalled, naming spec.poolRef.name when the pool does not exist", () => {
    const art = artwork("fox", { spec: { poolRef: { name: "atelier" } } });
    expect(decideArtwork(art, undefined, undefined, NOW)).toEqual({
      write: {
        kind: "wait",
        change: {
          phase: "Pending",
          reason: "PoolNotFound",
          message: `spec.poolRef.name: ModelPool "atelier" does not exist in namespace "${NAMESPACE}"`,
          stalled: true,
        },
      },
    });
  });

  it("waits, stalled, naming spec.model and the pool's generators when the model is not one of them", () => {
    const art = artwork("fox", { spec: { model: "etcher" } });
    const decision = decideArtwork(art, pool, undefined, NOW);
    expect(decision.write).toEqual({
      kind: "wait",
      change: {
        phase: "Pending",
        reason: "ModelNotInPool",
        message: `spec.model: "etcher" is not a generator of ModelPool "${POOL}"; it has: painter, sketcher`,
        stalled: true,
      },
    });
    expect(decision.schedule).toBeUndefined();
  });

  it("does not accept a scorer of the pool as the generator", () => {
    const art = artwork("fox", { spec: { model: "clip" } });
    expect(decideArtwork(art, pool, undefined, NOW).write).toMatchObject({
      kind: "wait",
      change: { reason: "ModelNotInPool" },
    });
  });

  it("hands an Artwork naming one of the pool's generators to the scheduler", () => {
    const art = artwork("fox", { spec: { model: "sketcher" } });
    expect(decideArtwork(art, pool, undefined, NOW)).toEqual({ schedule: true });
  });
});

describe("decideArtwork: timeout", () => {
  it("fails with Timeout 900 s after startTime when spec.timeoutSeconds is left out", () => {
    const art = boundArtwork("fox", "w1", { status: { startTime: ago(900_000) } });
    expect(decideArtwork(art, pool, live, NOW)).toEqual({
      write: { kind: "fail", reason: "Timeout", message: "did not finish within spec.timeoutSeconds (900s)" },
    });
    const inTime = boundArtwork("fox", "w1", { status: { startTime: ago(899_000) } });
    expect(decideArtwork(inTime, pool, live, NOW).write).toBeUndefined();
  });

  it("uses spec.timeoutSeconds, counted from the first attempt's start", () => {
    const art = boundArtwork("fox", "w1", {
      spec: { timeoutSeconds: 60 },
      status: { attempt: 2, startTime: ago(61_000), scheduledTime: ago(1_000) },
    });
    expect(decideArtwork(art, pool, live, NOW).write).toEqual({
      kind: "fail",
      reason: "Timeout",
      message: "did not finish within spec.timeoutSeconds (60s)",
    });
  });

  it("times out an Artwork waiting in the queue for its next attempt", () => {
    const art = artwork("fox", {
      spec: { timeoutSeconds: 60 },
      status: { phase: "Pending", attempt: 1, startTime: ago(60_000) },
    });
    expect(decideArtwork(art, pool, undefined, NOW).write).toMatchObject({ kind: "fail", reason: "Timeout" });
  });

  it("comes back at the deadline of an Artwork waiting for its next attempt", () => {
    const art = artwork("fox", {
      spec: { timeoutSeconds: 60 },
      status: { phase: "Pending", attempt: 1, startTime: ago(20_000) },
    });
    expect(decideArtwork(art, pool, undefined, NOW)).toEqual({ schedule: true, requeueAfterMs: 40_000 });
  });
});

describe("decideArtwork: lost worker", () => {
  it.each([
    ["its Lease expired", expired, 1, "waiting for attempt 2 of 3"],
    ["the registry no longer knows it", undefined, 2, "waiting for attempt 3 of 3"],
  ])(
    "puts the Artwork back in the queue while attempts remain (the worker: %s)",
    (_, worker, attempt, next) => {
      const art = boundArtwork("fox", "w1", { status: { attempt } });
      expect(decideArtwork(art, pool, worker, NOW)).toEqual({
        write: {
          kind: "retry",
          worker: "w1",
          attempt,
          message: `worker w1 stopped responding during attempt ${attempt}; ${next}`,
        },
      });
    },
  );

  it("fails with WorkerLost on the last of spec.maxAttempts (3 by default)", () => {
    const art = boundArtwork("fox", "w1", { status: { attempt: 3 } });
    expect(decideArtwork(art, pool, expired, NOW).write).toEqual({
      kind: "fail",
      reason: "WorkerLost",
      message: "worker w1 stopped responding during attempt 3 of spec.maxAttempts=3",
    });
  });

  it("fails at once when spec.maxAttempts is 1", () => {
    const art = boundArtwork("fox", "w1", { spec: { maxAttempts: 1 } });
    expect(decideArtwork(art, pool, expired, NOW).write).toMatchObject({
      kind: "fail",
      reason: "WorkerLost",
    });
  });
});

describe("decideArtwork: a healthy binding", () => {
  it("writes nothing and looks again just after the worker's Lease would expire", () => {
    const art = boundArtwork("fox", "w1");
    expect(decideArtwork(art, pool, live, NOW)).toEqual({ requeueAfterMs: 10_250 });
  });

  it("looks again at the deadline when that comes first", () => {
    const art = boundArtwork("fox", "w1", { spec: { timeoutSeconds: 35 } });
    expect(decideArtwork(art, pool, live, NOW)).toEqual({ requeueAfterMs: 5_000 });
  });

  it("never asks to look again sooner than 250 ms", () => {
    const art = boundArtwork("fox", "w1", {
      spec: { timeoutSeconds: 30 },
      status: { startTime: ago(29_900) },
    });
    expect(decideArtwork(art, pool, live, NOW)).toEqual({ requeueAfterMs: 250 });
  });
});

describe("decideArtwork: worker label", () => {
  const unlabelled = (scheduledAgo: number) =>
    boundArtwork("fox", "w1", { metadata: { labels: {} }, status: { scheduledTime: ago(scheduledAgo) } });

  it("leaves a missing label to the scheduler's own write during the grace period, and looks again when it ends", () => {
    const decision = decideArtwork(unlabelled(2_000), pool, live, NOW);
    expect(decision.write).toBeUndefined();
    expect(decision.requeueAfterMs).toBe(RELABEL_GRACE_MS - 2_000);
  });

  it("relabels once the grace period is over, so the worker's watch sees the Artwork", () => {
    expect(decideArtwork(unlabelled(RELABEL_GRACE_MS), pool, live, NOW)).toEqual({
      write: { kind: "relabel", worker: "w1" },
      requeueAfterMs: 10_250,
    });
  });

  it("relabels an Artwork labelled for another worker", () => {
    const art = boundArtwork("fox", "w1", {
      metadata: { labels: { "aria.dev/worker": "w0" } },
      status: { scheduledTime: ago(60_000) },
    });
    expect(decideArtwork(art, pool, live, NOW).write).toEqual({ kind: "relabel", worker: "w1" });
  });
});

describe("decideArtwork: unbound", () => {
  it("asks the scheduler to bind a new Artwork, with nothing to time", () => {
    expect(decideArtwork(artwork("fox"), pool, undefined, NOW)).toEqual({ schedule: true });
  });

  it("asks the scheduler again for an Artwork whose pool came back with its model", () => {
    const stalled = artwork("fox", { spec: { model: "etcher" }, status: { phase: "Pending" } });
    const withEtcher = modelPool({
      models: [...POOL_MODELS, { name: "etcher", role: "generator", source: { builtin: "aria-etcher" } }],
    });
    expect(decideArtwork(stalled, withEtcher, undefined, NOW)).toEqual({ schedule: true });
  });
});
