import { describe, expect, it } from "vitest";
import type { FeedbackAction } from "../../crds/learning-state.ts";
import type { Arm, LearningStateSpec } from "../../crds/learning-state.ts";
import { ago, GENERATORS, learningState, NOW, seededRandom } from "../../test/fixtures/operator-objects.ts";
import { foldReactions, type ArtworkReactions } from "./feedback-fold.ts";
import { learnedParameters, suggest } from "./suggestion.ts";

const now = new Date(NOW);
const stat = (count: number, mean: number) => ({ count, mean });
const arms: Arm[] = [
  { model: "painter", mood: "serene", pulls: 10, rewardSum: 15, mean: 1.5, updated: ago(0) },
  { model: "sketcher", mood: "serene", pulls: 10, rewardSum: 2, mean: 0.2, updated: ago(0) },
];
const parameters = [
  { model: "painter", mood: "serene", steps: stat(6, 24.6), guidanceScale: stat(6, 6.04) },
  { model: "sketcher", mood: "serene", steps: stat(4, 8.2), guidanceScale: stat(4, 1.49) },
];
const learned = (spec: LearningStateSpec) => learningState({ arms, parameters }, spec);

/** A painter render of a serene prompt at 30 steps, guidance 7, with `actions` as its reactions. */
function reactedTo(...actions: FeedbackAction[]): ArtworkReactions {
  const log = actions.map((action, i) => ({ seq: i + 1, action, time: ago(0) }));
  return {
    key: "lake/u1",
    uid: "u1",
    through: 0,
    model: "painter",
    mood: "serene",
    prompt: "a calm lake",
    steps: 30,
    guidanceScale: 7,
    log,
  };
}

describe("learnedParameters", () => {
  it("suggests nothing without a LearningState", () => {
    expect(learnedParameters(undefined, "painter", "serene")).toEqual({});
  });

  it("rounds the learned means: whole steps, guidance to one decimal", () => {
    expect(learnedParameters(learned({}), "painter", "serene")).toEqual({ steps: 25, guidanceScale: 6 });
    expect(learnedParameters(learned({}), "sketcher", "serene")).toEqual({ steps: 8, guidanceScale: 1.5 });
  });

  it("never suggests fewer than one step", () => {
    const ls = learningState({
      parameters: [{ model: "painter", mood: "serene", steps: stat(5, 0.2), guidanceScale: stat(5, 1) }],
    });
    expect(learnedParameters(ls, "painter", "serene").steps).toBe(1);
  });

  it("keeps models and moods apart", () => {
    expect(learnedParameters(learned({}), "painter", "dramatic")).toEqual({});
    expect(learnedParameters(learned({}), "etcher", "serene")).toEqual({});
  });

  it("suggests a render's settings once reactions worth 3 rewards back them, not before", () => {
    const fold = (...actions: FeedbackAction[]) =>
      learningState(foldReactions({}, {}, [reactedTo(...actions)], now).status);
    // love = 2, like = 1 with the default rewards; a delete never counts as evidence.
    expect(learnedParameters(fold("love"), "painter", "serene")).toEqual({});
    expect(learnedParameters(fold("love", "delete"), "painter", "serene")).toEqual({});
    expect(learnedParameters(fold("love", "like"), "painter", "serene")).toEqual({
      steps: 30,
      guidanceScale: 7,
    });
  });
});

describe("suggest", () => {
  it("exploits the best arm for the mood with its learned parameters when the policy never explores", () => {
    expect(suggest(learned({ policy: { epsilon: 0 } }), GENERATORS, "serene", now, seededRandom(1))).toEqual({
      model: "painter",
      reason: "exploit",
      steps: 25,
      guidanceScale: 6,
    });
  });

  it("gives an explored model its own parameters, not the favourite's", () => {
    const random = seededRandom(5);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const s = suggest(learned({ policy: { epsilon: 1 } }), GENERATORS, "serene", now, random);
      expect(s.reason).toBe("explore");
      expect(s).toEqual({
        model: s.model,
        reason: "explore",
        ...learnedParameters(learned({}), s.model, "serene"),
      });
      seen.add(s.model);
    }
    expect([...seen].sort()).toEqual(["painter", "sketcher"]);
  });

  it("explores about 15% of the time under the default policy, even without a LearningState", () => {
    for (const learning of [undefined, learned({})]) {
      const random = seededRandom(9);
      let explored = 0;
      for (let i = 0; i < 4_000; i++)
        if (suggest(learning, GENERATORS, "serene", now, random).reason === "explore") explored++;
      expect(explored / 4_000).toBeGreaterThan(0.13);
      expect(explored / 4_000).toBeLessThan(0.17);
    }
  });

  it("follows the LearningState's Thompson policy: mostly the better arm, sometimes the other", () => {
    const random = seededRandom(11);
    let painter = 0;
    for (let i = 0; i < 1_000; i++)
      if (
        suggest(learned({ policy: { algorithm: "thompson" } }), GENERATORS, "serene", now, random).model ===
        "painter"
      )
        painter++;
    expect(painter).toBeGreaterThan(900);
    expect(painter).toBeLessThan(1_000);
  });
});
