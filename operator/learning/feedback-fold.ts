// Folds reactions into a LearningState status. Idempotent by construction: each Artwork's
// reactions are numbered, and the status records the highest number folded per Artwork (a fold
// record) until the Artwork has compacted them into its counts (see learning-controller.ts).
import type { Artwork } from "../../crds/artwork.ts";
import {
  LEARNING_DEFAULTS,
  type FeedbackAction,
  type LearningStateSpec,
  type LearningStateStatus,
} from "../../crds/learning-state.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import type { FeedbackLogEntry } from "../../crds/worker-protocol.ts";
import { armKey, foldReward } from "./bandit.ts";
import { foldHistory, type DatedReaction } from "./learning-history.ts";
import { foldPromptPattern } from "./prompt-patterns.ts";

export interface ArtworkReactions {
  /** The Artwork's fold record key (recordKey). */
  key: string;
  uid: string;
  model: string;
  mood: string;
  prompt: string;
  steps?: number;
  guidanceScale?: number;
  /** Reactions numbered up to this one are folded already (compacted on the Artwork). */
  through: number;
  log: FeedbackLogEntry[];
}

/**
 * The key of an Artwork's fold record: its name (so a record whose Artwork is not in the cache can be
 * looked up) and its UID (so a new Artwork of the same name starts afresh).
 */
export function recordKey(art: Artwork) {
  return `${art.metadata.name ?? ""}/${art.metadata.uid ?? ""}`;
}

/** The name and UID in a record key; a key of the first release is a bare UID. */
export function parseRecordKey(key: string): { name?: string; uid: string } {
  const slash = key.lastIndexOf("/");
  return slash < 0 ? { uid: key } : { name: key.slice(0, slash), uid: key.slice(slash + 1) };
}

/** The highest reaction number of `art` that `status` records as folded (0 when it holds no record). */
export function foldedSeq(status: LearningStateStatus | undefined, art: Artwork) {
  return status?.folded?.[recordKey(art)] ?? status?.folded?.[art.metadata.uid ?? ""] ?? 0;
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
  const dated: DatedReaction[] = [];
  const touched = new Set<string>();
  for (const art of artworks) {
    const done = Math.max(art.through, next.folded[art.key] ?? next.folded[art.uid] ?? 0);
    for (const entry of [...art.log].sort((a, b) => a.seq - b.seq)) {
      if (entry.seq <= done) continue;
      const reward = rewardFor(spec, entry.action);
      next.arms = foldReward(next.arms, art.model, art.mood, reward, now, halfLife);
      next.parameters = foldParameters(next.parameters, art, reward);
      next.promptPatterns = foldPromptPattern(next.promptPatterns, art.prompt, reward);
      next.events[entry.action] = (next.events[entry.action] ?? 0) + 1;
      dated.push(entry);
      touched.add(armKey(art.model, art.mood));
      next.folded[art.key] = entry.seq;
      // A first-release record (keyed by UID alone) is replaced by the new one.
      delete next.folded[art.uid];
      folded++;
    }
  }
  if (folded > 0) {
    next.lastFoldTime = rfc3339(now);
    const arms = next.arms.filter((a) => touched.has(armKey(a.model, a.mood)));
    next.history = foldHistory(next.history ?? [], dated, arms, now);
  }
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
