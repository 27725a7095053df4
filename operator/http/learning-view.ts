// What the gallery's Learn dashboard shows of a namespace (GET /api/namespaces/:ns/learning): each
// LearningState's policy, counts, arms, parameters, prompt terms and daily history, and how the
// namespace's Artworks had their model chosen (explore, exploit, or the user's own), overall and per
// day. Pure: the router hands it the informer caches' objects. The app type-imports it.
import { MODEL_CHOICE_REASONS, type Artwork } from "../../crds/artwork.ts";
import {
  LEARNING_DEFAULTS,
  type LearningState,
  type LearningStateStatus,
} from "../../crds/learning-state.ts";
import { firstKeptDay, utcDay } from "../learning/learning-history.ts";

export type ChoiceReason = (typeof MODEL_CHOICE_REASONS)[number];
export type ChoiceCounts = Record<ChoiceReason, number>;

export interface ModelChoices {
  /** Every Artwork of the namespace whose model has been chosen. */
  total: ChoiceCounts;
  /** Per UTC day the Artwork was first scheduled, oldest first, over the days history keeps. */
  days: Array<{ day: string } & ChoiceCounts>;
}

type Status = Required<
  Pick<LearningStateStatus, "events" | "arms" | "parameters" | "promptPatterns" | "history">
>;

export interface LearningStateView extends Status {
  name: string;
  policy: { algorithm: string; epsilon: number };
  lastFoldTime?: string;
}

export interface LearningView {
  namespace: string;
  learningStates: LearningStateView[];
  /** Left out when the caller may not list the namespace's Artworks. */
  choices?: ModelChoices;
}

export function learningStateView(ls: LearningState): LearningStateView {
  const s = ls.status;
  return {
    name: ls.metadata.name ?? "",
    policy: {
      algorithm: ls.spec.policy?.algorithm ?? LEARNING_DEFAULTS.algorithm,
      epsilon: ls.spec.policy?.epsilon ?? LEARNING_DEFAULTS.epsilon,
    },
    events: s?.events ?? {},
    arms: s?.arms ?? [],
    parameters: s?.parameters ?? [],
    promptPatterns: s?.promptPatterns ?? [],
    history: s?.history ?? [],
    ...(s?.lastFoldTime ? { lastFoldTime: s.lastFoldTime } : {}),
  };
}

const noChoices = (): ChoiceCounts => ({ user: 0, explore: 0, exploit: 0 });

/** How the Artworks' models were chosen (status.modelReason), overall and per day. */
export function modelChoices(artworks: Iterable<Artwork>, now: Date): ModelChoices {
  const total = noChoices();
  const days = new Map<string, ChoiceCounts>();
  const first = firstKeptDay(now);
  for (const art of artworks) {
    const reason = art.status?.modelReason;
    if (!reason || !MODEL_CHOICE_REASONS.includes(reason)) continue;
    total[reason]++;
    // The first binding's time: a retry keeps the first attempt's choice, and so its day.
    const at = Date.parse(String(art.status?.startTime ?? art.metadata.creationTimestamp));
    if (!Number.isFinite(at)) continue;
    const day = utcDay(at);
    if (day < first) continue;
    const counts = days.get(day) ?? noChoices();
    counts[reason]++;
    days.set(day, counts);
  }
  return {
    total,
    days: [...days.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([day, counts]) => ({ day, ...counts })),
  };
}
