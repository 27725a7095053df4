import { describe, expect, it } from "vitest";
import { HISTORY_ARMS_PER_DAY, HISTORY_DAYS, type Arm } from "../../crds/learning-state.ts";
import { foldReactions, type ArtworkReactions } from "./feedback-fold.ts";
import { foldHistory, utcDay } from "./learning-history.ts";

const now = new Date("2026-12-07T09:30:00Z");
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000);
const arm = (model: string, mood: string, pulls = 1, mean = 1): Arm => ({
  model,
  mood,
  pulls,
  rewardSum: pulls * mean,
  mean,
});

const art = (key: string, mood: string, ...log: ArtworkReactions["log"]): ArtworkReactions => ({
  key,
  uid: key.split("/")[1] ?? key,
  through: 0,
  model: "painter",
  mood,
  prompt: "a calm blue lake",
  steps: 20,
  guidanceScale: 5,
  log,
});
const at = (seq: number, action: "like" | "love" | "delete", time: Date) => ({
  seq,
  action,
  time: time.toISOString(),
});

describe("the fold's daily history", () => {
  it("counts each folded reaction once, on the day it was made, and snapshots the arms folded", () => {
    const fox = art("fox/u1", "serene", at(1, "love", daysAgo(1)), at(2, "like", now), at(3, "like", now));
    const first = foldReactions({}, {}, [fox], now);
    expect(first.status.history).toEqual([
      { day: "2026-12-06", events: { love: 1 }, arms: [] },
      {
        day: "2026-12-07",
        events: { like: 2 },
        arms: [{ model: "painter", mood: "serene", mean: 1.3333, pulls: 3 }],
      },
    ]);
    // Folding the same log again (a retry after a conflict, a restart) changes nothing.
    const again = foldReactions({}, first.status, [fox], now);
    expect(again.folded).toBe(0);
    expect(again.status.history).toEqual(first.status.history);
    // A new reaction adds to today's count and moves today's snapshot of its arm.
    const later = new Date(now.getTime() + 3_600_000);
    const more = { ...fox, log: [...fox.log, at(4, "delete", later)] };
    const second = foldReactions({}, first.status, [more], later);
    expect(second.status.history?.at(-1)).toEqual({
      day: "2026-12-07",
      events: { like: 2, delete: 1 },
      arms: [
        {
          model: "painter",
          mood: "serene",
          mean: Number(second.status.arms?.[0]?.mean.toFixed(4)),
          pulls: Number(second.status.arms?.[0]?.pulls.toFixed(3)),
        },
      ],
    });
    expect(second.status.history?.[0]).toEqual(first.status.history?.[0]);
  });

  it("sums to the LearningState's event counts while every reaction is inside the window", () => {
    const log = Array.from({ length: 40 }, (_, i) => at(i + 1, i % 3 ? "like" : "love", daysAgo(i % 7)));
    const { status } = foldReactions({}, {}, [art("fox/u1", "serene", ...log)], now);
    const summed: Record<string, number> = {};
    for (const d of status.history ?? [])
      for (const [action, n] of Object.entries(d.events)) summed[action] = (summed[action] ?? 0) + n;
    expect(summed).toEqual(status.events);
    expect(status.history?.map((d) => d.day)).toEqual(
      [...Array(7).keys()].reverse().map((n) => utcDay(daysAgo(n))),
    );
  });

  it(`keeps the last ${HISTORY_DAYS} days, dropping the oldest, and leaves out reactions made before them`, () => {
    const old = Array.from({ length: HISTORY_DAYS + 10 }, (_, i) => ({
      day: utcDay(daysAgo(HISTORY_DAYS + 10 - i)),
      events: { like: 1 },
      arms: [],
    }));
    const history = foldHistory(
      old,
      [
        { action: "love", time: daysAgo(200).toISOString() },
        { action: "love", time: now.toISOString() },
      ],
      [],
      now,
    );
    expect(history).toHaveLength(HISTORY_DAYS);
    expect(history[0]?.day).toBe(utcDay(daysAgo(HISTORY_DAYS - 1)));
    expect(history.at(-1)).toEqual({ day: "2026-12-07", events: { love: 1 }, arms: [] });
    expect(history.reduce((n, d) => n + (d.events.love ?? 0), 0)).toBe(1);
  });

  it("counts a reaction dated in the future or undated today, never on a day to come", () => {
    const history = foldHistory(
      [],
      [
        { action: "like", time: daysAgo(-3).toISOString() },
        { action: "like", time: "not a time" },
      ],
      [],
      now,
    );
    expect(history).toEqual([{ day: "2026-12-07", events: { like: 2 }, arms: [] }]);
  });

  it(`holds the ${HISTORY_ARMS_PER_DAY} most pulled arms of a day, in a stable order`, () => {
    const many = Array.from({ length: HISTORY_ARMS_PER_DAY + 6 }, (_, i) =>
      arm(`m${String(i).padStart(3, "0")}`, "serene", i + 1),
    );
    const [day] = foldHistory([], [], many, now);
    expect(day?.arms).toHaveLength(HISTORY_ARMS_PER_DAY);
    expect(day?.arms[0]?.model).toBe("m006");
    expect(day?.arms.map((a) => a.model)).toEqual([...(day?.arms.map((a) => a.model) ?? [])].sort());
  });

  it("does not modify the history it is given", () => {
    const given = [{ day: "2026-12-07", events: { like: 1 }, arms: [] }];
    const frozen = structuredClone(given);
    foldHistory(given, [{ action: "like", time: now.toISOString() }], [arm("painter", "serene")], now);
    expect(given).toEqual(frozen);
  });
});
