import { ARTWORK_DEFAULTS } from "../../crds/artwork.ts";
import type { CurationWeights } from "../../crds/effective-spec.ts";

/** What the three scorers said about one candidate, on their native scales. */
export interface ScorerOutputs {
  /** Prompt–image similarity, 0–1. */
  clip: number;
  /** LAION-style aesthetic prediction, 1–10. */
  aesthetic: number;
  /** Technical quality, 0–1. */
  technical: number;
}

export interface RankedCandidate extends ScorerOutputs {
  index: number;
  /** Weighted score, 0–1, on an absolute scale (comparable across artworks and with minScore). */
  ensemble: number;
  /** Agreement between the scorers about this candidate, 0–1. */
  confidence: number;
}

export type Selection =
  | { selected: RankedCandidate; candidates: RankedCandidate[] }
  | { selected: undefined; reason: string; candidates: RankedCandidate[] };

const SCORERS = ["clip", "aesthetic", "technical"] as const;
type Scorer = (typeof SCORERS)[number];

/**
 * Scores every candidate and picks the best.
 *
 * The ensemble score stays on an absolute 0–1 scale (each scorer mapped from its native range) and
 * is NOT normalised within the batch: spec.curation.minScore is an absolute bar, the learning state
 * compares scores across artworks, and min–max normalising would hand the best of four bad images a
 * perfect 1.
 *
 * Confidence is where batch normalisation is meaningful: scorers speak in different units and
 * ranges (CLIP similarities cluster in a narrow band, aesthetic scores spread wide), but their
 * rankings of the same candidates are directly comparable. Each scorer's rank of a candidate is
 * mapped to 0–1 within the batch, and confidence is 1 − the spread between the highest and lowest
 * of those ranks: 1 when every scorer puts the candidate in the same place, 0 when one calls it the
 * best and another the worst. A lone candidate has no ranks, so its confidence falls back to the
 * spread of its absolute per-scorer scores.
 */
export function selectCandidate(
  scores: readonly ScorerOutputs[],
  weights: CurationWeights = ARTWORK_DEFAULTS.weights,
  minScore?: number,
): Selection {
  const w = normaliseWeights(weights);
  scores.forEach(checkScores);
  const absolute = scores.map(toUnitScale);
  const active = SCORERS.filter((s) => w[s] > 0);
  const ranks = Object.fromEntries(active.map((s) => [s, unitRanks(absolute.map((a) => a[s]))])) as Record<
    Scorer,
    number[]
  >;

  const candidates: RankedCandidate[] = scores.map((raw, index) => {
    const unit = absolute[index]!;
    const ensemble = active.reduce((sum, s) => sum + w[s] * unit[s], 0);
    const views = scores.length > 1 ? active.map((s) => ranks[s][index]!) : active.map((s) => unit[s]);
    const confidence = 1 - (Math.max(...views) - Math.min(...views));
    return { index, ...raw, ensemble, confidence };
  });

  if (candidates.length === 0)
    return { selected: undefined, reason: "no candidates were generated", candidates };
  // Highest ensemble wins; a tie goes to the candidate the scorers agree on more, then the lower index.
  const best = candidates.reduce((a, b) =>
    b.ensemble > a.ensemble || (b.ensemble === a.ensemble && b.confidence > a.confidence) ? b : a,
  );
  if (minScore !== undefined && best.ensemble < minScore) {
    return {
      selected: undefined,
      reason: `best candidate ${best.index} scored ${best.ensemble.toFixed(3)}, below spec.curation.minScore ${minScore}`,
      candidates,
    };
  }
  return { selected: best, candidates };
}

function normaliseWeights(weights: CurationWeights): CurationWeights {
  for (const s of SCORERS) {
    const v = weights[s];
    if (!Number.isFinite(v) || v < 0) {
      throw new RangeError(`spec.curation.weights.${s} must be a number ≥ 0, got ${v}`);
    }
  }
  const total = weights.clip + weights.aesthetic + weights.technical;
  if (total <= 0) {
    throw new RangeError(
      "spec.curation.weights: at least one of clip, aesthetic, technical must be greater than 0",
    );
  }
  return {
    clip: weights.clip / total,
    aesthetic: weights.aesthetic / total,
    technical: weights.technical / total,
  };
}

function checkScores(s: ScorerOutputs, index: number): void {
  for (const k of SCORERS) {
    if (!Number.isFinite(s[k])) throw new RangeError(`candidate ${index}: ${k} score is ${s[k]}`);
  }
}

/** Maps each scorer onto 0–1: the aesthetic predictor's 1–10 linearly, the others clamped. */
function toUnitScale(s: ScorerOutputs): Record<Scorer, number> {
  return {
    clip: clamp01(s.clip),
    aesthetic: clamp01((s.aesthetic - 1) / 9),
    technical: clamp01(s.technical),
  };
}

/** Rank of each value within the batch as 0 (lowest) … 1 (highest); ties share their average rank. */
function unitRanks(values: number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.v === order[start]!.v) end++;
    const rank = values.length > 1 ? (start + end) / 2 / (values.length - 1) : 0.5;
    for (let k = start; k <= end; k++) ranks[order[k]!.i] = rank;
    start = end + 1;
  }
  return ranks;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
