import { describe, expect, it } from "vitest";
import type { Arm, LearningStateSpec } from "../../crds/learning-state.ts";
import { seededRandom } from "../../test/fixtures/operator-objects.ts";
import { chooseModel, decayedArm, decayFactor, foldReward } from "./bandit.ts";

const now = new Date("2026-06-01T00:00:00Z");
const arms: Arm[] = [
  { model: "painter", mood: "serene", pulls: 10, rewardSum: 15, mean: 1.5, updated: now.toISOString() },
  { model: "sketcher", mood: "serene", pulls: 10, rewardSum: 2, mean: 0.2, updated: now.toISOString() },
];

/** A choice between the two arms for the serene mood. */
const chooseSerene = (spec: LearningStateSpec, random: () => number) =>
  chooseModel(spec, arms, ["painter", "sketcher"], "serene", now, random);

describe("epsilon-greedy", () => {
  it("explores about ε of the time over many draws", () => {
    const random = seededRandom(7);
    const draws = 20_000;
    let explored = 0;
    for (let i = 0; i < draws; i++) {
      const c = chooseSerene({ policy: { epsilon: 0.15 } }, random);
      if (c.reason === "explore") explored++;
    }
    expect(explored / draws).toBeGreaterThan(0.14);
    expect(explored / draws).toBeLessThan(0.16);
  });

  it("picks the arm with the best mean when exploiting", () => {
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const c = chooseSerene({ policy: { epsilon: 0.15 } }, random);
      if (c.reason === "exploit") expect(c.model).toBe("painter");
    }
  });

  it("keeps arms per mood apart", () => {
    const c = chooseModel({ policy: { epsilon: 0 } }, arms, ["sketcher", "painter"], "dramatic", now);
    expect(c).toEqual({ model: "sketcher", reason: "exploit" });
  });

  it("never explores with ε = 0 and always explores with ε = 1", () => {
    const random = seededRandom(3);
    for (let i = 0; i < 100; i++) {
      expect(chooseSerene({ policy: { epsilon: 0 } }, random).reason).toBe("exploit");
      expect(chooseSerene({ policy: { epsilon: 1 } }, random).reason).toBe("explore");
    }
  });
});

describe("thompson sampling", () => {
  it("mostly picks the better arm but still tries the other", () => {
    const random = seededRandom(11);
    let painter = 0;
    for (let i = 0; i < 2000; i++) {
      const c = chooseSerene({ policy: { algorithm: "thompson" } }, random);
      if (c.model === "painter") painter++;
    }
    expect(painter / 2000).toBeGreaterThan(0.9);
    expect(painter / 2000).toBeLessThan(1);
  });
});

describe("decay", () => {
  it("halves a reaction's weight after one half-life", () => {
    expect(decayFactor(168 * 3_600_000, 168)).toBeCloseTo(0.5, 10);
    const old = decayedArm(arms[0]!, new Date(now.getTime() + 24 * 3_600_000), 24);
    expect(old.pulls).toBeCloseTo(5);
    expect(old.mean).toBeCloseTo(1.5);
  });

  it("lets new taste overtake old favourites", () => {
    const later = new Date(now.getTime() + 30 * 24 * 3_600_000);
    let next = foldReward(arms, "sketcher", "serene", 2, later, 24);
    next = foldReward(next, "sketcher", "serene", 2, later, 24);
    const c = chooseModel(
      { policy: { epsilon: 0 }, decay: { halfLifeHours: 24 } },
      next,
      ["painter", "sketcher"],
      "serene",
      later,
    );
    expect(c.model).toBe("sketcher");
  });
});
