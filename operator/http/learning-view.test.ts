import { describe, expect, it } from "vitest";
import { HISTORY_DAYS } from "../../crds/learning-state.ts";
import { ago, artwork, boundArtwork, learningState, NOW } from "../../test/fixtures/operator-objects.ts";
import { learningStateView, modelChoices } from "./learning-view.ts";

const DAY = 86_400_000;
const chosen = (name: string, modelReason: "user" | "explore" | "exploit", daysAgo: number) =>
  boundArtwork(name, "w1", { status: { modelReason, startTime: ago(daysAgo * DAY) } });

describe("modelChoices", () => {
  it("counts how each Artwork's model was chosen, overall and per day it was first scheduled", () => {
    const choices = modelChoices(
      [
        chosen("a", "explore", 0),
        chosen("b", "exploit", 0),
        chosen("c", "exploit", 0),
        chosen("d", "exploit", 2),
        chosen("e", "user", 2),
        artwork("pending"),
      ],
      new Date(NOW),
    );
    expect(choices.total).toEqual({ explore: 1, exploit: 3, user: 1 });
    expect(choices.days).toEqual([
      { day: "2026-05-30", explore: 0, exploit: 1, user: 1 },
      { day: "2026-06-01", explore: 1, exploit: 2, user: 0 },
    ]);
  });

  it(`counts Artworks scheduled before the last ${HISTORY_DAYS} days overall only`, () => {
    const choices = modelChoices([chosen("old", "explore", HISTORY_DAYS + 5)], new Date(NOW));
    expect(choices).toEqual({ total: { explore: 1, exploit: 0, user: 0 }, days: [] });
  });
});

describe("learningStateView", () => {
  it("says what an omitted policy means and gives empty lists for what nothing has taught yet", () => {
    expect(learningStateView(learningState())).toEqual({
      name: "studio",
      policy: { algorithm: "epsilon-greedy", epsilon: 0.15 },
      events: {},
      arms: [],
      parameters: [],
      promptPatterns: [],
      history: [],
    });
  });
});
