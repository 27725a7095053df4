import { describe, expect, it } from "vitest";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { artwork, reactions } from "../../test/fixtures/operator-objects.ts";
import { appendReaction, feedbackLog, reactionCounts, readFeedbackLog } from "./feedback-log.ts";

const when = new Date("2026-06-01T12:00:00.000Z");

describe("feedbackLog", () => {
  it("reads the numbered reactions from the annotation", () => {
    const art = artwork("fox", { metadata: { annotations: reactions("love", "share") } });
    expect(feedbackLog(art).map((e) => [e.seq, e.action])).toEqual([
      [1, "love"],
      [2, "share"],
    ]);
  });

  it("reads an annotation broken by a hand edit as no reactions, rather than failing", () => {
    const art = artwork("fox", {
      metadata: { annotations: { [FEEDBACK_LOG_ANNOTATION]: '[{"seq":1,"action":"lo' } },
    });
    expect(feedbackLog(art)).toEqual([]);
  });

  it("reads a hand edit that is JSON but not a log of reactions as none, and says what is wrong", () => {
    const read = (raw: string) =>
      readFeedbackLog(artwork("fox", { metadata: { annotations: { [FEEDBACK_LOG_ANNOTATION]: raw } } }));
    const entry = (seq: unknown, action: unknown) =>
      JSON.stringify({ seq, action, time: "2026-11-30T10:00:00Z" });
    const bad: Record<string, string> = {
      '"love"': "the log",
      "{}": "the log",
      "42": "the log",
      null: "the log",
      "[null]": "/0",
      '[{"action":"love"}]': "/0",
      [`[${entry("1", "love")}]`]: "/0/seq",
      [`[${entry(1, "__proto__")}]`]: "/0/action",
      [`[${entry(1, "constructor")}]`]: "/0/action",
      [`[${entry(2, "love")}, ${entry(1, "like")}]`]: "/1/seq",
    };
    for (const [raw, where] of Object.entries(bad)) {
      const log = read(raw);
      expect(log.entries, raw).toEqual([]);
      expect(log.problem, raw).toContain(`${FEEDBACK_LOG_ANNOTATION}: ${where}`);
    }
    expect(read(`[${entry(1, "love")}, ${entry(3, "share")}]`)).toEqual({
      entries: [
        { seq: 1, action: "love", time: "2026-11-30T10:00:00Z" },
        { seq: 3, action: "share", time: "2026-11-30T10:00:00Z" },
      ],
    });
  });

  it("reads an Artwork without reactions as an empty log", () => {
    expect(feedbackLog(artwork("fox"))).toEqual([]);
  });
});

describe("appendReaction", () => {
  it("numbers the first reaction 1 and each next one after the last", () => {
    const first = appendReaction([], "like", when);
    expect(first).toEqual([{ seq: 1, action: "like", time: "2026-06-01T12:00:00.000Z" }]);
    const gap = [{ seq: 4, action: "love" as const, time: when.toISOString() }];
    expect(appendReaction(gap, "share", when).at(-1)?.seq).toBe(5);
  });

  it("keeps the feedback API's request id as the source, and leaves the log it was given alone", () => {
    const log = appendReaction([], "like", when);
    const next = appendReaction(log, "love", when, "req-42");
    expect(next[1]).toEqual({ seq: 2, action: "love", time: when.toISOString(), source: "req-42" });
    expect(log).toHaveLength(1);
  });
});

describe("reactionCounts", () => {
  it("counts each action, with zeros for those not given", () => {
    const log = appendReaction(
      appendReaction(appendReaction([], "love", when), "love", when),
      "delete",
      when,
    );
    expect(reactionCounts(log)).toEqual({ like: 0, love: 2, download: 0, share: 0, delete: 1 });
  });
});
