import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import type { FeedbackAction, LearningState, LearningStateStatus } from "../../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { artwork, learningState, NOW, reactions } from "../../test/fixtures/operator-objects.ts";
import { appendReactions, feedbackLog, serializeLog } from "../learning/feedback-log.ts";
import { settledLog } from "../learning/feedback-intake.ts";
import { AGE_OUT_PULLS, foldPlan, learningPatch, MAX_FOLDS_PER_WRITE } from "./learning-controller.ts";

const now = new Date(NOW);
const MODELS = new Set(["painter"]);

/** An Artwork painter rendered for a serene mood at 30 steps, with `actions` in its feedback log. */
const rendered = (name: string, ...actions: FeedbackAction[]) =>
  artwork(name, {
    spec: { mood: "serene" },
    metadata: { annotations: reactions(...actions), resourceVersion: "1" },
    status: { phase: "Succeeded", model: "painter", steps: 30, guidanceScale: 7 },
  });

/** The status after a merge patch: keys set to null are removed. */
function merged(ls: LearningState, patch: LearningStateStatus): LearningState {
  const folded = Object.fromEntries(Object.entries(patch.folded ?? {}).filter(([, seq]) => seq !== null));
  const rv = String(Number(ls.metadata.resourceVersion ?? 0) + 1);
  return { ...ls, metadata: { ...ls.metadata, resourceVersion: rv }, status: { ...patch, folded } };
}

/** The LearningState after folding `artworks` (read fresh) and releasing what they compacted. */
function apply(ls: LearningState, artworks: Artwork[]): LearningState {
  const plan = foldPlan(ls, artworks, () => true);
  const result = learningPatch(ls, { artworks, released: plan.released, models: MODELS }, now);
  return result ? merged(ls, result.patch) : ls;
}

const total = (ls: LearningState) => Object.values(ls.status?.events ?? {}).reduce((a, b) => a + b, 0);
/** The reactions status.history counts, over all its days. */
const historyTotal = (ls: LearningState) =>
  (ls.status?.history ?? []).flatMap((d) => Object.values(d.events)).reduce((a, b) => a + b, 0);

describe("learningPatch", () => {
  it("folds an Artwork's reactions into its model's arm and says how many it holds", () => {
    const fox = rendered("fox", "love", "like");
    const result = learningPatch(learningState(), { artworks: [fox], released: [], models: MODELS }, now);
    expect(result?.folded).toBe(2);
    expect(result?.patch.events).toEqual({ love: 1, like: 1 });
    expect(result?.patch.folded).toEqual({ "fox/uid-fox": 2 });
    expect(result?.patch.arms).toEqual([
      expect.objectContaining({ model: "painter", mood: "serene", pulls: 2, rewardSum: 3 }),
    ]);
    expect(result?.patch.conditions).toEqual([
      {
        type: "Ready",
        status: "True",
        reason: "Folded",
        message: "2 reactions folded",
        observedGeneration: 1,
        lastTransitionTime: "2026-06-01T12:00:00Z",
      },
    ]);
  });

  it("writes nothing when every reaction is folded and the generation is observed", () => {
    const ls = apply(learningState(), [rendered("fox", "love")]);
    expect(
      learningPatch(ls, { artworks: [rendered("fox", "love")], released: [], models: MODELS }, now),
    ).toBeUndefined();
  });

  it("folds only the reactions that came since, each once", () => {
    const ls = apply(learningState(), [rendered("fox", "love")]);
    const result = learningPatch(
      ls,
      { artworks: [rendered("fox", "love", "share")], released: [], models: MODELS },
      now,
    );
    expect(result?.folded).toBe(1);
    expect(result?.patch.events).toEqual({ love: 1, share: 1 });
    expect(result?.patch.arms?.[0]).toMatchObject({ pulls: 2, rewardSum: 4 });
    expect(result?.patch.conditions?.[0]?.message).toBe("2 reactions folded");
  });

  it("does not fold the reactions of an Artwork not rendered yet", () => {
    const unrendered = artwork("fox", { metadata: { annotations: reactions("like") } });
    const ls = learningState({ observedGeneration: 1 });
    expect(foldPlan(ls, [unrendered], () => true).candidates).toEqual([]);
    expect(learningPatch(ls, { artworks: [unrendered], released: [], models: MODELS }, now)).toBeUndefined();
  });

  it("releases the records it is told to, keeping what they taught", () => {
    const ls = apply(learningState(), [rendered("fox", "love"), rendered("owl", "like")]);
    const result = learningPatch(ls, { artworks: [], released: ["fox/uid-fox"], models: MODELS }, now);
    expect(result).toMatchObject({ folded: 0, released: 1 });
    expect(result?.patch.folded).toEqual({ "fox/uid-fox": null, "owl/uid-owl": 1 });
    expect(result?.patch.events).toEqual({ love: 1, like: 1 });
  });

  it("observes a new generation even with nothing to fold", () => {
    const ls = apply(learningState(), [rendered("fox", "love")]);
    ls.metadata.generation = 2;
    const result = learningPatch(ls, { artworks: [], released: [], models: MODELS }, now);
    expect(result).toMatchObject({ folded: 0, released: 0, patch: { observedGeneration: 2 } });
    expect(result?.patch.conditions?.[0]).toMatchObject({
      observedGeneration: 2,
      message: expect.stringMatching(/^1 reactions? folded$/),
    });
  });

  it("ages out the arms of models no pool has any more once their weight has decayed", () => {
    const arm = (model: string, daysAgo: number) => ({
      model,
      mood: "serene",
      pulls: 50,
      rewardSum: 50,
      mean: 1,
      updated: new Date(NOW - daysAgo * 86_400_000).toISOString(),
    });
    const ls = learningState({
      observedGeneration: 1,
      arms: [arm("painter", 400), arm("retired", 1), arm("retired-long-ago", 400)],
    });
    const result = learningPatch(ls, { artworks: [], released: [], models: MODELS }, now);
    expect(result?.aged).toBe(1);
    expect(result?.patch.arms?.map((a) => a.model)).toEqual(["painter", "retired"]);
    expect(AGE_OUT_PULLS).toBeGreaterThan(0);
  });
});

describe("foldPlan", () => {
  it("releases a record once the Artwork has compacted past it, and asks about Artworks it cannot see", () => {
    const fox = rendered("fox", "love", "like");
    const ls = apply(learningState(), [fox, rendered("owl", "like")]);
    const compacted = withLog(fox, settledLog(feedbackLog(fox), fox, ls, "studio")!);
    const plan = foldPlan(ls, [compacted], () => true);
    expect(plan.released).toEqual(["fox/uid-fox"]);
    expect(plan.unknown).toEqual([{ key: "owl/uid-owl", name: "owl", uid: "uid-owl" }]);
    expect(plan.candidates).toEqual([]);
  });

  it("folds a bounded number of Artworks per write and says more are left", () => {
    const many = Array.from({ length: MAX_FOLDS_PER_WRITE + 5 }, (_, i) => rendered(`a${i}`, "like"));
    const plan = foldPlan(learningState(), many, () => true);
    expect(plan.candidates).toHaveLength(MAX_FOLDS_PER_WRITE);
    expect(plan.more).toBe(true);
  });
});

function withLog(art: Artwork, log: ReturnType<typeof feedbackLog>): Artwork {
  const rv = String(Number(art.metadata.resourceVersion ?? 0) + 1);
  return {
    ...art,
    metadata: {
      ...art.metadata,
      resourceVersion: rv,
      annotations: { ...art.metadata.annotations, [FEEDBACK_LOG_ANNOTATION]: serializeLog(log) },
    },
  };
}

/**
 * The durable Artwork and LearningState, and the writes the operator makes to them, each one write
 * conditional on the object it writes being as read; what it reads of the other may be any earlier
 * version (a cache behind, a restarted process), except the Artwork a fold reads afresh.
 */
class World {
  history: Artwork[];
  constructor(
    public art: Artwork,
    public ls: LearningState,
    public target = "studio",
  ) {
    this.history = [art];
  }

  /** The learning controller's fold of `ls.name`, planned from `cached`. */
  fold(cached: Artwork = this.art, ls = this.ls): boolean {
    const name = ls.metadata.name;
    const mine = (a: Artwork) => (feedbackLog(a).into ?? this.target) === name;
    const plan = foldPlan(ls, [cached], mine);
    const artworks = plan.candidates.length > 0 && mine(this.art) ? [this.art] : [];
    const result = learningPatch(ls, { artworks, released: plan.released, models: MODELS }, now);
    if (!result || ls.metadata.resourceVersion !== this.ls.metadata.resourceVersion) return false;
    this.ls = merged(ls, result.patch);
    return true;
  }

  /** The artwork controller's compaction, from its view of the LearningState. */
  compact(ls = this.ls): boolean {
    const settled = settledLog(feedbackLog(this.art), this.art, ls, this.target);
    if (!settled) return false;
    this.art = withLog(this.art, settled);
    this.history.push(this.art);
    return true;
  }

  react(...actions: FeedbackAction[]) {
    const log = feedbackLog(this.art);
    const next = appendReactions(
      log,
      actions.map((action) => ({ action, time: now })),
      this.target,
    ).log;
    this.art = withLog(this.art, next);
    this.history.push(this.art);
  }

  /** Runs both controllers until neither has anything to write. */
  settle() {
    for (let i = 0; i < 20; i++) if (!this.fold() && !this.compact()) return;
    throw new Error("did not settle");
  }
}

describe("exactly once, with bounded records", () => {
  // The writes one reaction needs: fold (LearningState), compact (Artwork), release (LearningState).
  const steps: Array<(w: World) => boolean> = [(w) => w.fold(), (w) => w.compact(), (w) => w.fold()];

  for (let crashAfter = 0; crashAfter <= steps.length; crashAfter++) {
    it(`counts each reaction once when the operator stops after write ${crashAfter} and restarts with any older view of the Artwork`, () => {
      const start = new World(rendered("fox"), learningState());
      start.react("love", "like", "share");
      for (const step of steps.slice(0, crashAfter)) expect(step(start)).toBe(true);
      for (const stale of start.history) {
        const w = new World(start.art, start.ls);
        w.history = [...start.history];
        w.fold(stale);
        w.react("download");
        w.fold(stale);
        w.settle();
        expect(total(w.ls)).toBe(4);
        expect(historyTotal(w.ls)).toBe(4);
        expect(w.ls.status?.folded).toEqual({});
        expect(feedbackLog(w.art)).toMatchObject({ through: 4, pending: [] });
      }
    });
  }

  it("a LearningState's view from before its record was released does not fold again: its write is refused", () => {
    const w = new World(rendered("fox"), learningState());
    w.react("love");
    w.settle();
    expect(total(w.ls)).toBe(1);
    const released = w.ls;
    w.react("like");
    expect(w.fold(w.art, { ...released, metadata: { ...released.metadata, resourceVersion: "0" } })).toBe(
      false,
    );
    w.settle();
    expect(total(w.ls)).toBe(2);
  });

  it("keeps every object small through 10,000 reactions to one Artwork", () => {
    const w = new World(rendered("fox"), learningState());
    let biggestLog = 0;
    let biggestStatus = 0;
    for (let i = 0; i < 10_000 / 100; i++) {
      w.react(...Array<FeedbackAction>(100).fill(i % 2 ? "love" : "like"));
      w.fold();
      biggestStatus = Math.max(biggestStatus, JSON.stringify(w.ls.status).length);
      w.compact();
      biggestLog = Math.max(biggestLog, w.art.metadata.annotations?.[FEEDBACK_LOG_ANNOTATION]?.length ?? 0);
    }
    w.settle();
    expect(w.ls.status?.events).toEqual({ like: 5_000, love: 5_000 });
    expect(biggestLog).toBeLessThan(100 * 1024);
    expect(biggestStatus).toBeLessThan(100 * 1024);
  });

  it("does not fold twice when the pool moves to another LearningState before its Artwork compacted", () => {
    const w = new World(rendered("fox"), learningState());
    w.react("love", "like");
    w.fold();
    const first = w.ls;
    // The pool now points at "other": it may fold only once the log names it.
    w.target = "other";
    const other = {
      ...learningState(),
      metadata: { ...learningState().metadata, name: "other", resourceVersion: "1" },
    };
    const o = new World(w.art, other, "other");
    o.fold();
    expect(total(o.ls)).toBe(0);
    w.compact();
    expect(feedbackLog(w.art)).toMatchObject({ into: "other", through: 2 });
    w.react("share");
    o.art = w.art;
    o.settle();
    w.art = o.art;
    w.ls = first;
    w.fold();
    expect(total(w.ls) + total(o.ls)).toBe(3);
    expect(w.ls.status?.folded).toEqual({});
  });
});
