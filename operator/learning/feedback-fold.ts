// Folds reactions into a LearningState status. Idempotent by construction: each Artwork's
// reactions are numbered, and the status records the highest number folded per Artwork UID.
import {
  LEARNING_DEFAULTS,
  type FeedbackAction,
  type LearningStateSpec,
  type LearningStateStatus,
} from "../../crds/learning-state.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import type { FeedbackLogEntry } from "../../crds/worker-protocol.ts";
import { foldReward } from "./bandit.ts";
import { foldPromptPattern } from "./prompt-patterns.ts";

export interface ArtworkReactions {
  uid: string;
  model: string;
  mood: string;
  prompt: string;
  steps?: number;
  guidanceScale?: number;
  log: FeedbackLogEntry[];
}

export function rewardFor(spec: LearningStateSpec, action: FeedbackAction) {
  return spec.rewards?.[action] ?? LEARNING_DEFAULTS.rewards[action];
}

/** Returns the new status and how many reactions it folded; the input is not modified. */
export function foldReactions(
  spec: LearningStateSpec,
  status: LearningStateStatus,
  artworks: readonly ArtworkReactions[],
  now: Date,
): { status: LearningStateStatus; folded: number } {
  const next: LearningStateStatus = structuredClone(status);
  next.arms ??= [];
  next.parameters ??= [];
  next.promptPatterns ??= [];
  next.events ??= {};
  next.folded ??= {};
  let folded = 0;
  const halfLife = spec.decay?.halfLifeHours;
  for (const art of artworks) {
    const done = next.folded[art.uid] ?? 0;
    for (const entry of [...art.log].sort((a, b) => a.seq - b.seq)) {
      if (entry.seq <= done) continue;
      const reward = rewardFor(spec, entry.action);
      next.arms = foldReward(next.arms, art.model, art.mood, reward, now, halfLife);
      next.parameters = foldParameters(next.parameters, art, reward);
      next.promptPatterns = foldPromptPattern(next.promptPatterns, art.prompt, reward);
      next.events[entry.action] = (next.events[entry.action] ?? 0) + 1;
      next.folded[art.uid] = entry.seq;
      folded++;
    }
  }
  if (folded > 0) next.lastFoldTime = rfc3339(now);
  return { status: next, folded };
}

type Parameters = NonNullable<LearningStateStatus["parameters"]>;

/** Tracks the steps and guidance of well-received artworks (positive rewards only). */
function foldParameters(parameters: Parameters, art: ArtworkReactions, reward: number): Parameters {
  if (reward <= 0 || art.steps === undefined || art.guidanceScale === undefined) return parameters;
  const list = [...parameters];
  const index = list.findIndex((p) => p.model === art.model && p.mood === art.mood);
  const prev = index >= 0 ? list[index]! : undefined;
  const update = (stat: { count: number; mean: number } | undefined, value: number) => {
    const count = (stat?.count ?? 0) + reward;
    return { count, mean: (stat?.mean ?? 0) + ((value - (stat?.mean ?? 0)) * reward) / count };
  };
  const next = {
    model: art.model,
    mood: art.mood,
    steps: update(prev?.steps, art.steps),
    guidanceScale: update(prev?.guidanceScale, art.guidanceScale),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}
