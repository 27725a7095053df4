import { describe, expect, it } from "vitest";
import { ARTWORK_DEFAULTS } from "../../crds/artwork.ts";
import { selectCandidate } from "./ensemble.ts";

describe("selectCandidate", () => {
  it("weights clip 0.5, aesthetic 0.3 and technical 0.2 by default, aesthetic mapped from 1–10", () => {
    const { candidates } = selectCandidate([{ clip: 0.8, aesthetic: 5.5, technical: 0.6 }]);
    expect(candidates[0]!.ensemble).toBeCloseTo(0.5 * 0.8 + 0.3 * 0.5 + 0.2 * 0.6, 10);
  });

  it("selects the candidate with the highest ensemble score", () => {
    const result = selectCandidate([
      { clip: 0.3, aesthetic: 6, technical: 0.7 },
      { clip: 0.9, aesthetic: 7, technical: 0.8 },
      { clip: 0.6, aesthetic: 5, technical: 0.5 },
    ]);
    expect(result.selected?.index).toBe(1);
  });

  it("follows the artwork's weights: an aesthetic-only curation picks the prettiest image", () => {
    const scores = [
      { clip: 0.9, aesthetic: 3, technical: 0.5 },
      { clip: 0.2, aesthetic: 9, technical: 0.5 },
    ];
    expect(selectCandidate(scores).selected?.index).toBe(0);
    expect(selectCandidate(scores, { clip: 0, aesthetic: 1, technical: 0 }).selected?.index).toBe(1);
  });

  it("treats weights as relative: scaling them all changes nothing", () => {
    const scores = [{ clip: 0.7, aesthetic: 6, technical: 0.4 }];
    const a = selectCandidate(scores, { clip: 0.5, aesthetic: 0.3, technical: 0.2 }).candidates[0]!;
    const b = selectCandidate(scores, { clip: 1, aesthetic: 0.6, technical: 0.4 }).candidates[0]!;
    expect(b.ensemble).toBeCloseTo(a.ensemble, 12);
  });

  it("selects nothing, with a reason naming spec.curation.minScore, when no candidate reaches it", () => {
    const result = selectCandidate(
      [
        { clip: 0.2, aesthetic: 3, technical: 0.3 },
        { clip: 0.3, aesthetic: 4, technical: 0.2 },
      ],
      ARTWORK_DEFAULTS.weights,
      0.6,
    );
    expect(result.selected).toBeUndefined();
    expect("reason" in result && result.reason).toMatch(
      /best candidate 1 scored 0\.\d{3}, below spec\.curation\.minScore 0\.6/,
    );
    expect(result.candidates).toHaveLength(2);
    expect(
      selectCandidate([{ clip: 0.9, aesthetic: 9, technical: 0.9 }], ARTWORK_DEFAULTS.weights, 0.6).selected
        ?.index,
    ).toBe(0);
  });

  it("does not inflate a weak batch: the best of bad images keeps a low score", () => {
    const { selected } = selectCandidate([
      { clip: 0.1, aesthetic: 2, technical: 0.1 },
      { clip: 0.15, aesthetic: 2.5, technical: 0.15 },
    ]);
    expect(selected!.ensemble).toBeLessThan(0.2);
  });

  it("is confident when the scorers rank a candidate alike and not when they disagree", () => {
    const consistent = [
      { clip: 0.8, aesthetic: 8, technical: 0.8 },
      { clip: 0.5, aesthetic: 5, technical: 0.5 },
      { clip: 0.2, aesthetic: 2, technical: 0.2 },
    ];
    expect(selectCandidate(consistent).candidates.map((c) => c.confidence)).toEqual([1, 1, 1]);
    // Best for CLIP, worst for the other two scorers.
    const { candidates } = selectCandidate([...consistent, { clip: 0.95, aesthetic: 1.5, technical: 0.05 }]);
    expect(candidates[3]!.confidence).toBe(0);
    for (const c of candidates.slice(0, 3)) expect(c.confidence).toBeCloseTo(2 / 3, 10);
  });

  it("bases a lone candidate's confidence on how far apart its scores are", () => {
    const agree = selectCandidate([{ clip: 0.7, aesthetic: 7.3, technical: 0.7 }]).candidates[0]!;
    const disagree = selectCandidate([{ clip: 0.9, aesthetic: 1, technical: 0.5 }]).candidates[0]!;
    expect(agree.confidence).toBeCloseTo(1, 6);
    expect(disagree.confidence).toBeCloseTo(0.1, 6);
  });

  it("ignores a scorer whose weight is zero when measuring agreement", () => {
    const { candidates } = selectCandidate(
      [
        { clip: 0.9, aesthetic: 1, technical: 0.9 },
        { clip: 0.1, aesthetic: 9, technical: 0.1 },
      ],
      { clip: 1, aesthetic: 0, technical: 1 },
    );
    expect(candidates.map((c) => c.confidence)).toEqual([1, 1]);
  });

  it("explains an empty batch", () => {
    const result = selectCandidate([]);
    expect(result.selected).toBeUndefined();
    expect("reason" in result && result.reason).toMatch(/no candidates/);
  });

  it("rejects invalid weights naming spec.curation.weights", () => {
    const s = [{ clip: 0.5, aesthetic: 5, technical: 0.5 }];
    expect(() => selectCandidate(s, { clip: 0, aesthetic: 0, technical: 0 })).toThrow(
      /spec\.curation\.weights: at least one/,
    );
    expect(() => selectCandidate(s, { clip: -1, aesthetic: 0.3, technical: 0.2 })).toThrow(
      /spec\.curation\.weights\.clip/,
    );
    expect(() => selectCandidate([{ clip: Number.NaN, aesthetic: 5, technical: 0.5 }])).toThrow(
      /candidate 0: clip/,
    );
  });
});
