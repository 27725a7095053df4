// The Learn dashboard's figures, from GET /api/namespaces/:ns/learning: each chart's uPlot series
// and the same numbers for its table and summary, so what is drawn and what is read out agree.
// Days are UTC, as the LearningState's history counts them.
import uPlot from "uplot";
import type { FeedbackAction } from "../../crds/learning-state.ts";
import type { ChoiceReason, LearningView } from "../../operator/http/learning-view.ts";
import { axis, type ChartSpec } from "./learn-chart.ts";

const DAY_S = 86_400;
const bars = uPlot.paths.bars!;

export const ACTION_COLOURS: Record<FeedbackAction, string> = {
  like: "#6cb6ff",
  love: "#f07bd8",
  download: "#7ddc92",
  share: "#ffc857",
  delete: "#ff6b5e",
};
export const ACTIONS = Object.keys(ACTION_COLOURS) as FeedbackAction[];

export const CHOICE_COLOURS: Record<ChoiceReason, string> = {
  explore: "#ffc857",
  exploit: "#6cb6ff",
  user: "#b9b0d9",
};
export const CHOICES = Object.keys(CHOICE_COLOURS) as ChoiceReason[];
export const CHOICE_NAMES: Record<ChoiceReason, string> = {
  explore: "explored",
  exploit: "exploited",
  user: "the user's model",
};

/** Lines on the dark canvas, each told apart from its neighbours. */
const PALETTE = ["#6cb6ff", "#f07bd8", "#7ddc92", "#ffc857", "#c4a7ff", "#5ee3e3", "#ff9f5a", "#e6e68a"];
/** Arms drawn at most in the mean-reward chart (the most pulled); its table lists them all. */
export const MAX_LINES = PALETTE.length;

export const todayUtc = () => new Date().toISOString().slice(0, 10);
const seconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
const dayName = (s: number) =>
  new Date(s * 1000).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
export const formatDay = (day: string) => dayName(seconds(day));

/** Every day from the first one anything was learned or chosen to today. */
export function dayRange(view: LearningView, today: string): string[] {
  const known = [
    ...view.learningStates.flatMap((ls) => ls.history.map((d) => d.day)),
    ...(view.choices?.days.map((d) => d.day) ?? []),
  ].sort();
  const first = known[0] !== undefined && known[0] < today ? known[0] : today;
  const days: string[] = [];
  for (let s = seconds(first); s <= seconds(today); s += DAY_S)
    days.push(new Date(s * 1000).toISOString().slice(0, 10));
  return days;
}

/** The x axis of a chart by day: a labelled tick per day, thinned to what the width holds. */
function byDay(days: string[]): Pick<uPlot.Options, "scales"> & { x: uPlot.Axis; xSeries: uPlot.Series } {
  const xs = days.map(seconds);
  return {
    scales: { x: { time: false, range: () => [xs[0]! - DAY_S / 2, xs.at(-1)! + DAY_S / 2] } },
    x: axis({
      // A label per day where there is room (about 56 px each), counted back from today.
      splits: (u) => {
        const fits = Math.max(2, Math.floor(u.bbox.width / uPlot.pxRatio / 56));
        const every = Math.ceil(xs.length / fits);
        return xs.filter((_, i) => (xs.length - 1 - i) % every === 0);
      },
      values: (_u, splits) => splits.map(dayName),
    }),
    xSeries: { label: "Day (UTC)", value: (_u, v) => (v === null ? "—" : dayName(v)) },
  };
}

/** A 12 px label's width per character, near enough to leave room for it. */
const LABEL_CHAR_PX = 6.6;
/** Labels closer than this (across their slant) run into each other. */
const LABEL_LINE_PX = 15;
/** The width of a value axis beside a plot. */
const AXIS_PX = 48;

/** Tick steps for counts: whole numbers only. */
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000];

const fromZero: uPlot.Scale = { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] };

/**
 * Stacked bars per day: the first layer on top, each bar's height its share of the day. The
 * legend reads each layer's own value, not the stacked height.
 */
function stackedBars(
  days: string[],
  layers: Array<{ label: string; colour: string; values: number[]; legend: (i: number) => string }>,
  y: uPlot.Axis,
  yScale: uPlot.Scale = fromZero,
): ChartSpec {
  const x = byDay(days);
  const stacked = layers.map((_, k) =>
    days.map((_d, i) => layers.slice(k).reduce((n, l) => n + l.values[i]!, 0)),
  );
  return {
    data: [days.map(seconds), ...stacked],
    options: {
      scales: { ...x.scales, y: yScale },
      axes: [x.x, axis({ size: 56, ...y })],
      cursor: { points: { show: false } },
      series: [
        x.xSeries,
        ...layers.map((l): uPlot.Series => ({
          label: l.label,
          fill: l.colour,
          stroke: l.colour,
          width: 0,
          paths: bars({ size: [0.6, 56] }),
          points: { show: false },
          value: (_u, _v, _s, i) => (i === null ? "—" : l.legend(i)),
        })),
      ],
    },
  };
}

/** Reactions per day and action, summed over the namespace's LearningStates. */
export function reactionsPerDay(view: LearningView, days: string[]) {
  const counts = Object.fromEntries(
    ACTIONS.map((a) => [
      a,
      days.map((day) =>
        view.learningStates.reduce((n, ls) => n + (ls.history.find((d) => d.day === day)?.events[a] ?? 0), 0),
      ),
    ]),
  ) as Record<FeedbackAction, number[]>;
  const spec = stackedBars(
    days,
    ACTIONS.map((a) => ({
      label: a,
      colour: ACTION_COLOURS[a],
      values: counts[a],
      legend: (i) => String(counts[a][i] ?? 0),
    })),
    { label: "reactions", incrs: COUNT_STEPS },
  );
  return { counts, spec };
}

/** How models were chosen per day, as shares of the day's choices. */
export function choicesPerDay(view: LearningView, days: string[]) {
  const byDay = new Map(view.choices?.days.map((d) => [d.day, d]));
  const counts = Object.fromEntries(
    CHOICES.map((r) => [r, days.map((day) => byDay.get(day)?.[r] ?? 0)]),
  ) as Record<ChoiceReason, number[]>;
  const totals = days.map((_d, i) => CHOICES.reduce((n, r) => n + counts[r][i]!, 0));
  const share = (r: ChoiceReason, i: number) => (totals[i] ? (100 * counts[r][i]!) / totals[i]! : 0);
  const spec = stackedBars(
    days,
    CHOICES.map((r) => ({
      label: r,
      colour: CHOICE_COLOURS[r],
      values: days.map((_d, i) => share(r, i)),
      legend: (i) => `${counts[r][i] ?? 0} (${Math.round(share(r, i))}%)`,
    })),
    { label: "% of the day's choices" },
    { range: [0, 100] },
  );
  return { counts, totals, spec };
}

export interface ArmLine {
  label: string;
  /** The arm's mean each day, from the first its reactions were learned (null before). */
  means: Array<number | null>;
  /** The days (indices) its reactions were learned on. */
  folds: number[];
  pulls: number;
}

/** Each (model, mood) arm's mean reward per day, as the day's last fold left it. */
export function meanRewards(view: LearningView, days: string[]) {
  const many = view.learningStates.length > 1;
  const lines = new Map<string, ArmLine>();
  view.learningStates.forEach((ls) => {
    ls.history.forEach((d) => {
      const i = days.indexOf(d.day);
      if (i < 0) return;
      for (const arm of d.arms) {
        const label = `${many ? `${ls.name}: ` : ""}${arm.model} · ${arm.mood}`;
        const line = lines.get(label) ?? { label, means: days.map(() => null), folds: [], pulls: 0 };
        line.means[i] = arm.mean;
        line.folds.push(i);
        line.pulls = arm.pulls;
        lines.set(label, line);
      }
    });
  });
  // Decay scales an arm's pulls and rewards alike, so its mean holds until a fold moves it.
  for (const line of lines.values())
    for (let i = 1; i < days.length; i++) line.means[i] ??= line.means[i - 1]!;
  const all = [...lines.values()].sort((a, b) => a.label.localeCompare(b.label));
  const drawn = [...all].sort((a, b) => b.pulls - a.pulls).slice(0, MAX_LINES);
  drawn.sort((a, b) => a.label.localeCompare(b.label));
  const x = byDay(days);
  const spec: ChartSpec = {
    data: [days.map(seconds), ...drawn.map((l) => l.means)],
    options: {
      scales: x.scales,
      axes: [x.x, axis({ label: "mean reward", size: 56 })],
      series: [
        x.xSeries,
        ...drawn.map((l, k): uPlot.Series => ({
          label: l.label,
          stroke: PALETTE[k],
          width: 2,
          points: { show: true, size: 7, fill: PALETTE[k] },
          value: (_u, v) => (v === null ? "—" : v.toFixed(2)),
        })),
      ],
    },
  };
  return { lines: all, drawn: drawn.length, spec };
}

export interface PreferredParameters {
  label: string;
  steps: number;
  guidanceScale: number;
  /** The reward that taught it (reward-weighted count of well-received Artworks). */
  weight: number;
}

/** Steps and guidance of well-received Artworks per mood (and model, where there are several). */
export function preferredParameters(view: LearningView) {
  const entries = view.learningStates.flatMap((ls) => ls.parameters);
  const models = new Set(entries.map((p) => p.model));
  const rows: PreferredParameters[] = entries
    .map((p) => ({
      label: models.size > 1 ? `${p.mood} · ${p.model}` : p.mood,
      steps: p.steps.mean,
      guidanceScale: p.guidanceScale.mean,
      weight: p.steps.count,
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const xs = rows.map((_r, i) => i);
  // Labels that would run into their neighbours slant: the least slant that parts them, given
  // that the first one's reach past the axis takes width from the plot.
  const reach = LABEL_CHAR_PX * Math.max(0, ...rows.map((r) => r.label.length));
  const n = Math.max(1, rows.length);
  const layout = (width: number) => {
    // Both value axes with their gaps and labels, and the padding, take about three axis widths.
    const plot = width - 3 * AXIS_PX;
    if (reach + 8 < plot / n) return { angle: 0, below: 40, before: 0 };
    for (let angle = 30; ; angle += 5) {
      const rad = (angle * Math.PI) / 180;
      const before = Math.max(0, Math.ceil(reach * Math.cos(rad) - AXIS_PX));
      if (((plot - before) / n) * Math.sin(rad) >= LABEL_LINE_PX || angle >= 90)
        return { angle, below: Math.ceil(16 + reach * Math.sin(rad)), before };
    }
  };
  const spec: ChartSpec = {
    data: [xs, rows.map((r) => r.steps), rows.map((r) => r.guidanceScale)],
    options: {
      scales: {
        x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] },
        steps: fromZero,
        cfg: fromZero,
      },
      axes: [
        axis({
          splits: () => xs,
          values: (_u, splits) => splits.map((i) => rows[i]?.label ?? ""),
          grid: { show: false },
          rotate: (u) => layout(u.width).angle,
          size: (u) => layout(u.width).below,
        }),
        axis({ scale: "steps", label: "steps", size: AXIS_PX }),
        axis({ scale: "cfg", label: "guidance", side: 1, size: AXIS_PX, grid: { show: false } }),
      ],
      padding: [12, 8, 0, (u) => layout(u.width).before + 8],
      cursor: { points: { show: false } },
      series: [
        { label: "Mood", value: (_u, v) => (v === null ? "—" : (rows[v]?.label ?? "")) },
        {
          label: "steps",
          scale: "steps",
          fill: "#7ddc92",
          stroke: "#7ddc92",
          width: 0,
          paths: bars({ size: [0.36, 40], align: -1 }),
          points: { show: false },
          value: (_u, v) => (v === null ? "—" : v.toFixed(1)),
        },
        {
          label: "guidance",
          scale: "cfg",
          fill: "#c4a7ff",
          stroke: "#c4a7ff",
          width: 0,
          paths: bars({ size: [0.36, 40], align: 1 }),
          points: { show: false },
          value: (_u, v) => (v === null ? "—" : v.toFixed(2)),
        },
      ],
    },
  };
  // The plot keeps its height whatever the labels take (they take the most when upright).
  return { rows, spec, height: 220 + Math.min(140, Math.ceil(reach)) };
}
