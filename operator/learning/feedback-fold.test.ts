import { describe, expect, it } from "vitest";
import { foldReactions, type ArtworkReactions } from "./feedback-fold.ts";

const now = new Date("2026-06-01T00:00:00Z");
const art: ArtworkReactions = {
  key: "fox/u1",
  uid: "u1",
  through: 0,
  model: "painter",
  mood: "serene",
  prompt: "a calm blue lake at dawn",
  steps: 20,
  guidanceScale: 5,
  log: [
    { seq: 1, action: "love", time: now.toISOString() },
    { seq: 2, action: "like", time: now.toISOString() },
  ],
};

describe("foldReactions", () => {
  it("counts each reaction once, however often it is folded", () => {
    const first = foldReactions({}, {}, [art], now);
    expect(first.folded).toBe(2);
    const again = foldReactions({}, first.status, [art], now);
    expect(again.folded).toBe(0);
    expect(again.status).toEqual(first.status);
    expect(first.status.events).toEqual({ love: 1, like: 1 });
    expect(first.status.arms?.[0]).toMatchObject({
      model: "painter",
      mood: "serene",
      pulls: 2,
      rewardSum: 3,
    });
  });

  it("folds only reactions newer than the last folded one", () => {
    const first = foldReactions({}, {}, [art], now);
    const more = {
      ...art,
      log: [...art.log, { seq: 3, action: "delete" as const, time: now.toISOString() }],
    };
    const second = foldReactions({ rewards: { delete: -5 } }, first.status, [more], now);
    expect(second.folded).toBe(1);
    expect(second.status.arms?.[0]?.rewardSum).toBe(-2);
    expect(second.status.folded).toEqual({ "fox/u1": 3 });
  });

  it("folds nothing the Artwork has compacted, though the LearningState holds no record of it", () => {
    const { status, folded } = foldReactions({}, {}, [{ ...art, through: 1 }], now);
    expect(folded).toBe(1);
    expect(status.events).toEqual({ like: 1 });
  });

  it("reads a first-release record (keyed by UID alone) and replaces it", () => {
    const { status, folded } = foldReactions({}, { folded: { u1: 1 } }, [art], now);
    expect(folded).toBe(1);
    expect(status.folded).toEqual({ "fox/u1": 2 });
  });

  it("learns prompt words and parameters from well-received artworks", () => {
    const { status } = foldReactions({}, {}, [art], now);
    expect(status.promptPatterns?.map((p) => p.term)).toEqual(
      expect.arrayContaining(["calm", "blue", "lake", "dawn"]),
    );
    expect(status.parameters?.[0]).toMatchObject({ steps: { mean: 20 }, guidanceScale: { mean: 5 } });
  });
});
