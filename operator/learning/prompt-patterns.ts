// Which prompt words go with well-received artworks: a reward-weighted tally of content words.
import type { LearningStateStatus } from "../../crds/learning-state.ts";

type Patterns = NonNullable<LearningStateStatus["promptPatterns"]>;

const MAX_PATTERNS = 50;
const STOP_WORDS = new Set(
  "a an the of and or with in on at over under by for to from into its his her their is are this that as".split(
    " ",
  ),
);

export function promptTerms(prompt: string) {
  const words = prompt.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length > 2 && !STOP_WORDS.has(w)))];
}

export function foldPromptPattern(patterns: Patterns, prompt: string, reward: number): Patterns {
  const byTerm = new Map(patterns.map((p) => [p.term, { ...p }]));
  for (const term of promptTerms(prompt)) {
    const p = byTerm.get(term) ?? { term, score: 0, count: 0 };
    p.score += reward;
    p.count += 1;
    byTerm.set(term, p);
  }
  return [...byTerm.values()]
    .sort((a, b) => b.score - a.score || a.term.localeCompare(b.term))
    .slice(0, MAX_PATTERNS);
}
