import { describe, expect, it } from "vitest";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { artwork, reactions } from "../../test/fixtures/operator-objects.ts";
import { appendReaction, feedbackLog, reactionCounts } from "./feedback-log.ts";

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

  it("keeps only numbered entries from a hand edit that is JSON but not a log", () => {
    const log = (raw: string) =>
      feedbackLog(artwork("fox", { metadata: { annotations: { [FEEDBACK_LOG_ANNOTATION]: raw } } }));
    for (const raw of ['"love"', "{}", "42", "null", "[null]", '[{"action":"love"}]'])
      expect(log(raw)).toEqual([]);
    expect(log('[null, {"seq":2,"action":"love","time":"2026-11-30T10:00:00Z"}, 7]')).toEqual([
      { seq: 2, action: "love", time: "2026-11-30T10:00:00Z" },
    ]);
  });

  it("reads an Artwork without reactions as an empty log", () => {
    expect(feedbackLog(artwork("fox"))).toEqual([]);
  });
});

describe("appendReaction", () => {
  it("numbers the first reaction 1 and each next one after the last", () => {
    const first = appendReaction([], "like", when);
    expect(first).toEqual([{ seq: 1, action: "like", time: "2026-06-01T12:00:00.000Z" }]);
    const gap = [{ seq: 4, action: "love", time: when.toISOString() }];
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
  it("counts each action, with zeros for those not given and unknown actions left out", () => {
    const log = [
      ...appendReaction([], "love", when),
      { seq: 2, action: "love", time: when.toISOString() },
      { seq: 3, action: "meh", time: when.toISOString() },
      { seq: 4, action: "delete", time: when.toISOString() },
    ];
    expect(reactionCounts(log)).toEqual({ like: 0, love: 2, download: 0, share: 0, delete: 1 });
  });
});
