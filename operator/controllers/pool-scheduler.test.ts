import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import type { LearningStateStatus } from "../../crds/learning-state.ts";
import {
  ago,
  artwork,
  boundArtwork,
  GENERATORS,
  learningState,
  metaTime,
  modelStates,
  NOW,
  workerView,
} from "../../test/fixtures/operator-objects.ts";
import { chooseModelFor, planBindings, type ModelChoice } from "./pool-scheduler.ts";

/** Where the cache says an Artwork runs, as the scheduler reads it. */
const cacheWorker = (art: Artwork) => (art.status?.phase === "Generating" ? art.status.worker : undefined);
/** The user's model, or painter. */
const userOrPainter = (art: Artwork): ModelChoice => ({
  model: art.spec.model ?? "painter",
  reason: art.spec.model ? "user" : "exploit",
});

function plan(artworks: Artwork[], workers = [workerView("w1")], choose = userOrPainter) {
  const { bindings, waiting } = planBindings(artworks, workers, GENERATORS, cacheWorker, choose, NOW);
  return {
    bound: Object.fromEntries(bindings.map((b) => [b.art.metadata.name, b.worker])),
    waiting: waiting.map((a) => a.metadata.name),
  };
}

const queued = (name: string, priority = 0, createdAgo = 60_000) =>
  artwork(name, { spec: { priority }, metadata: { creationTimestamp: metaTime(ago(createdAgo)) } });

describe("planBindings", () => {
  it("binds the highest priority first, then the oldest; the rest wait in that order", () => {
    const { bound, waiting } = plan([
      queued("late", 0, 10_000),
      queued("urgent", 5, 1_000),
      queued("early", 0, 50_000),
    ]);
    expect(bound).toEqual({ urgent: "w1" });
    expect(waiting).toEqual(["early", "late"]);
  });

  it("counts the Artworks already running on a worker against its capacity", () => {
    const workers = [workerView("w1", { capacity: 2 })];
    const { bound, waiting } = plan(
      [boundArtwork("running", "w1"), queued("a", 0, 20_000), queued("b", 0, 10_000)],
      workers,
    );
    expect(bound).toEqual({ a: "w1" });
    expect(waiting).toEqual(["b"]);
  });

  it("spreads Artworks over the least loaded workers", () => {
    const workers = [workerView("w1", { capacity: 2 }), workerView("w2", { capacity: 2 })];
    const { bound } = plan(
      [boundArtwork("running", "w1"), queued("a", 0, 20_000), queued("b", 0, 10_000)],
      workers,
    );
    expect(bound).toEqual({ a: "w2", b: "w1" });
  });

  it("places each Artwork on a worker with its chosen model warm", () => {
    const workers = [
      workerView("painter-only", { models: modelStates("Ready", ["painter"]) }),
      workerView("sketcher-only", { models: modelStates("Ready", ["sketcher"]) }),
    ];
    const art = artwork("fox", { spec: { model: "sketcher" } });
    const { bindings } = planBindings([art], workers, GENERATORS, cacheWorker, userOrPainter, NOW);
    expect(bindings).toEqual([
      { art, worker: "sketcher-only", choice: { model: "sketcher", reason: "user" } },
    ]);
  });

  it("skips, rather than leaving waiting, an Artwork naming a model the pool lacks", () => {
    const chosen: string[] = [];
    const choose = (art: Artwork) => {
      chosen.push(art.metadata.name ?? "");
      return userOrPainter(art);
    };
    const { bound, waiting } = plan(
      [artwork("etched", { spec: { model: "etcher" } }), queued("fox")],
      undefined,
      choose,
    );
    expect(bound).toEqual({ fox: "w1" });
    expect(waiting).toEqual([]);
    expect(chosen).toEqual(["fox"]);
  });

  it("ignores finished Artworks: they neither wait nor take room", () => {
    const done = artwork("done", { status: { phase: "Succeeded", worker: "w1", attempt: 1 } });
    const failed = artwork("failed", { status: { phase: "Failed", worker: "w1", attempt: 3 } });
    const { bound, waiting } = plan([done, failed, queued("fox")]);
    expect(bound).toEqual({ fox: "w1" });
    expect(waiting).toEqual([]);
  });

  it("leaves everything waiting when every worker is full, cold, draining or gone", () => {
    const workers = [
      workerView("busy"),
      workerView("cold", { ready: false, models: modelStates("Warming") }),
      workerView("draining", { draining: true }),
      workerView("gone", {}, NOW - 1),
    ];
    const { bound, waiting } = plan(
      [boundArtwork("running", "busy"), queued("a", 0, 20_000), queued("b", 0, 10_000)],
      workers,
    );
    expect(bound).toEqual({});
    expect(waiting).toEqual(["a", "b"]);
  });

  it("leaves everything waiting in a pool without workers", () => {
    expect(plan([queued("a")], [])).toEqual({ bound: {}, waiting: ["a"] });
  });
});

/** Reward-weighted evidence for painter in a serene mood: 30 steps, guidance 7.46. */
const painterSerene = (count: number): LearningStateStatus => ({
  parameters: [
    { model: "painter", mood: "serene", steps: { count, mean: 30.4 }, guidanceScale: { count, mean: 7.46 } },
  ],
});
const when = new Date(NOW);

describe("chooseModelFor", () => {
  it("takes the user's model, with reason user", () => {
    const art = artwork("fox", { spec: { model: "sketcher" } });
    expect(chooseModelFor(art, GENERATORS, undefined, when)).toEqual({ model: "sketcher", reason: "user" });
  });

  it("adds learned steps and guidance for the user's model and mood once 3 reward-weighted reactions back them", () => {
    const art = artwork("fox", { spec: { model: "painter", mood: "serene" } });
    expect(chooseModelFor(art, GENERATORS, learningState(painterSerene(3)), when)).toEqual({
      model: "painter",
      reason: "user",
      steps: 30,
      guidanceScale: 7.5,
    });
    expect(chooseModelFor(art, GENERATORS, learningState(painterSerene(2.5)), when)).toEqual({
      model: "painter",
      reason: "user",
    });
  });

  it("does not carry one mood's parameters over to another", () => {
    const art = artwork("fox", { spec: { model: "painter", mood: "dramatic" } });
    expect(chooseModelFor(art, GENERATORS, learningState(painterSerene(10)), when)).toEqual({
      model: "painter",
      reason: "user",
    });
  });

  /** An Artwork back in the queue after its first attempt ran `model`, chosen to `modelReason`. */
  const retryOf = (model: string, modelReason: "explore" | "exploit") =>
    artwork("fox", {
      spec: { mood: "serene" },
      status: { phase: "Pending", attempt: 1, model, modelReason },
    });

  it("keeps the first attempt's model and its explore reason on a retry", () => {
    // Learning would exploit painter now; the retry stays with sketcher.
    const learning = learningState(
      { arms: [{ model: "painter", mood: "serene", pulls: 10, rewardSum: 20, mean: 2 }] },
      { policy: { epsilon: 0 } },
    );
    expect(chooseModelFor(retryOf("sketcher", "explore"), GENERATORS, learning, when)).toEqual({
      model: "sketcher",
      reason: "explore",
    });
  });

  it("keeps the first attempt's model as exploit when it was exploited, with its learned parameters", () => {
    expect(
      chooseModelFor(retryOf("painter", "exploit"), GENERATORS, learningState(painterSerene(4)), when),
    ).toEqual({
      model: "painter",
      reason: "exploit",
      steps: 30,
      guidanceScale: 7.5,
    });
  });

  it("asks learning again when the first attempt's model has left the pool", () => {
    expect(chooseModelFor(retryOf("etcher", "explore"), ["painter"], undefined, when)).toEqual({
      model: "painter",
      reason: "exploit",
    });
  });

  it("otherwise takes learning's suggestion for the mood, with its parameters", () => {
    const learning = learningState(
      {
        arms: [
          { model: "painter", mood: "serene", pulls: 10, rewardSum: 2, mean: 0.2 },
          { model: "sketcher", mood: "serene", pulls: 10, rewardSum: 15, mean: 1.5 },
          { model: "painter", mood: "dramatic", pulls: 10, rewardSum: 30, mean: 3 },
        ],
        ...painterSerene(5),
      },
      { policy: { epsilon: 0 } },
    );
    const serene = artwork("fox", { spec: { mood: "serene" } });
    expect(chooseModelFor(serene, GENERATORS, learning, when)).toEqual({
      model: "sketcher",
      reason: "exploit",
    });
    const dramatic = artwork("fox", { spec: { mood: "dramatic" } });
    expect(chooseModelFor(dramatic, GENERATORS, learning, when)).toEqual({
      model: "painter",
      reason: "exploit",
    });
  });
});
