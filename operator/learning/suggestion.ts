// What learning suggests for an Artwork that leaves choices open: a generator for its mood
// (explore or exploit) and the steps and guidance of well-received artworks. The scheduler binds
// with it and the feedback API's suggestions endpoint answers with it.
import type { LearnedParameters } from "../../crds/effective-spec.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { chooseModel, type Choice, type Random } from "./bandit.ts";

/** Reactions (reward-weighted) a (model, mood) needs before its parameters are suggested. */
const MIN_PARAMETER_EVIDENCE = 3;

export interface Suggestion extends Choice, LearnedParameters {}

/** The learned steps and guidance for (model, mood), once enough reactions back them. */
export function learnedParameters(
  learning: LearningState | undefined,
  model: string,
  mood: string,
): LearnedParameters {
  const p = learning?.status?.parameters?.find((x) => x.model === model && x.mood === mood);
  if (!p || p.steps.count < MIN_PARAMETER_EVIDENCE) return {};
  return {
    steps: Math.max(1, Math.round(p.steps.mean)),
    guidanceScale: Math.round(p.guidanceScale.mean * 10) / 10,
  };
}

export function suggest(
  learning: LearningState | undefined,
  generators: readonly string[],
  mood: string,
  now: Date,
  random?: Random,
): Suggestion {
  const choice = chooseModel(
    learning?.spec ?? {},
    learning?.status?.arms ?? [],
    generators,
    mood,
    now,
    random,
  );
  return { ...choice, ...learnedParameters(learning, choice.model, mood) };
}
