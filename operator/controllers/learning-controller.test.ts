import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import type { FeedbackAction, LearningState } from "../../crds/learning-state.ts";
import { artwork, learningState, NOW, reactions } from "../../test/fixtures/operator-objects.ts";
import { learningPatch } from "./learning-controller.ts";

const now = new Date(NOW);

/** An Artwork painter rendered for a serene mood at 30 steps, with `actions` in its feedback log. */
const rendered = (name: string, ...actions: FeedbackAction[]) =>
  artwork(name, {
    spec: { mood: "serene" },
    metadata: { annotations: reactions(...actions) },
    status: { phase: "Succeeded", model: "painter", steps: 30, guidanceScale: 7 },
  });

/** The LearningState after the patch is written. */
function apply(ls: LearningState, artworks: Artwork[]): LearningState {
  const result = learningPatch(ls, artworks, now);
  if (!result) return ls;
  const folded = Object.fromEntries(
    Object.entries(result.patch.folded ?? {}).filter(([, seq]) => seq !== null),
  );
  return { ...ls, status: { ...result.patch, folded } };
}

describe("learningPatch", () => {
  it("folds an Artwork's reactions into its model's arm and says how many it holds", () => {
    const result = learningPatch(learningState(), [rendered("fox", "love", "like")], now);
    expect(result?.folded).toBe(2);
    expect(result?.patch.events).toEqual({ love: 1, like: 1 });
    expect(result?.patch.folded).toEqual({ "uid-fox": 2 });
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
    expect(learningPatch(ls, [rendered("fox", "love")], now)).toBeUndefined();
  });

  it("folds only the reactions that came since, each once", () => {
    const ls = apply(learningState(), [rendered("fox", "love")]);
    const result = learningPatch(ls, [rendered("fox", "love", "share")], now);
    expect(result?.folded).toBe(1);
    expect(result?.patch.events).toEqual({ love: 1, share: 1 });
    expect(result?.patch.arms?.[0]).toMatchObject({ pulls: 2, rewardSum: 4 });
    expect(result?.patch.conditions?.[0]?.message).toBe("2 reactions folded");
  });

  it("does not fold the reactions of an Artwork not rendered yet", () => {
    const unrendered = artwork("fox", { metadata: { annotations: reactions("like") } });
    const ls = learningState({ observedGeneration: 1 });
    expect(learningPatch(ls, [unrendered], now)).toBeUndefined();
  });

  it("forgets the UIDs of Artworks that are gone, keeping what they taught", () => {
    const ls = apply(learningState(), [rendered("fox", "love"), rendered("owl", "like")]);
    const result = learningPatch(ls, [rendered("owl", "like")], now);
    expect(result).toMatchObject({ folded: 0, pruned: 1 });
    expect(result?.patch.folded).toEqual({ "uid-fox": null, "uid-owl": 1 });
    expect(result?.patch.events).toEqual({ love: 1, like: 1 });
  });

  it("observes a new generation even with nothing to fold", () => {
    const ls = apply(learningState(), [rendered("fox", "love")]);
    ls.metadata.generation = 2;
    const result = learningPatch(ls, [rendered("fox", "love")], now);
    expect(result).toMatchObject({ folded: 0, pruned: 0, patch: { observedGeneration: 2 } });
    expect(result?.patch.conditions?.[0]).toMatchObject({
      observedGeneration: 2,
      message: expect.stringMatching(/^1 reactions? folded$/),
    });
  });
});
