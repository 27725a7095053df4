// What a LearningState learned per day (status.history), for the gallery's dashboard: reactions per
// day by action, and each arm's mean as the day's folds left it. It is updated by the fold itself,
// in the same status write, so a reaction enters it exactly once, as it enters the counts.
import {
  HISTORY_ARMS_PER_DAY,
  HISTORY_DAYS,
  type Arm,
  type FeedbackAction,
  type HistoryDay,
} from "../../crds/learning-state.ts";

const DAY_MS = 86_400_000;

/** The UTC day of `date`, as history names it: YYYY-MM-DD. */
export function utcDay(date: Date | number) {
  return new Date(date).toISOString().slice(0, 10);
}

/** The first day a history kept at `now` holds: the window is the last HISTORY_DAYS days, today included. */
export function firstKeptDay(now: Date) {
  return utcDay(now.getTime() - (HISTORY_DAYS - 1) * DAY_MS);
}

/** A reaction as history counts it: its action and the time it was made. */
export interface DatedReaction {
  action: FeedbackAction;
  time: string;
}

/** Keeps history small: a mean to 4 decimals, pulls to 3 (a day holds up to 64 arms, 90 days). */
const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/**
 * The history after a fold at `now` of `reactions` into `arms` (the folded arms as the fold left
 * them), oldest day first. A reaction counts on the UTC day it was made (a time in the future, or
 * one that does not parse, counts today); one made before the window is left out, as its day would
 * be dropped. The input is not modified.
 */
export function foldHistory(
  history: readonly HistoryDay[],
  reactions: readonly DatedReaction[],
  arms: readonly Arm[],
  now: Date,
): HistoryDay[] {
  const first = firstKeptDay(now);
  const days = new Map(
    history
      .filter((d) => d.day >= first)
      .map((d) => [d.day, { day: d.day, events: { ...d.events }, arms: [...d.arms] }]),
  );
  const dayOf = (day: string) => {
    let entry = days.get(day);
    if (!entry) days.set(day, (entry = { day, events: {}, arms: [] }));
    return entry;
  };
  for (const r of reactions) {
    const made = Date.parse(r.time);
    const day = utcDay(Number.isFinite(made) && made <= now.getTime() ? made : now);
    if (day < first) continue;
    const { events } = dayOf(day);
    events[r.action] = (events[r.action] ?? 0) + 1;
  }
  if (arms.length > 0) {
    const today = dayOf(utcDay(now));
    const folded = arms.map((a) => ({
      model: a.model,
      mood: a.mood,
      mean: round(a.mean, 4),
      pulls: round(a.pulls, 3),
    }));
    const kept = today.arms.filter((a) => !folded.some((f) => f.model === a.model && f.mood === a.mood));
    today.arms = [...kept, ...folded]
      .sort((a, b) => b.pulls - a.pulls)
      .slice(0, HISTORY_ARMS_PER_DAY)
      .sort((a, b) => a.model.localeCompare(b.model) || a.mood.localeCompare(b.mood));
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}
