import { describe, expect, it } from "vitest";
import {
  FEEDBACK_LOG_ANNOTATION,
  MAX_PENDING_REACTIONS,
  MAX_REMEMBERED_REQUESTS,
} from "../../crds/worker-protocol.ts";
import { artwork, reactions } from "../../test/fixtures/operator-objects.ts";
import {
  appendDeletion,
  appendReactions,
  compactLog,
  emptyLog,
  feedbackLog,
  hasRequest,
  lastSeq,
  reactionCounts,
  readFeedbackLog,
  serializeLog,
  type FeedbackLog,
} from "./feedback-log.ts";

const when = new Date("2026-06-01T12:00:00.000Z");
const read = (raw: string) =>
  readFeedbackLog(artwork("fox", { metadata: { annotations: { [FEEDBACK_LOG_ANNOTATION]: raw } } }));
const add = (log: FeedbackLog, ...actions: Array<"like" | "love" | "share" | "delete">) =>
  appendReactions(
    log,
    actions.map((action) => ({ action, time: when })),
    "studio",
  ).log;

describe("feedbackLog", () => {
  it("reads the numbered reactions from the annotation", () => {
    const art = artwork("fox", { metadata: { annotations: reactions("love", "share") } });
    expect(feedbackLog(art).pending.map((e) => [e.seq, e.action])).toEqual([
      [1, "love"],
      [2, "share"],
    ]);
  });

  it("reads a log of the first release (every reaction in a list) as all of them unfolded", () => {
    const entry = (seq: number) => ({ seq, action: "love", time: "2026-11-30T10:00:00Z" });
    expect(read(JSON.stringify([entry(1), entry(3)]))).toEqual({
      log: { through: 0, counts: {}, pending: [entry(1), entry(3)] },
    });
  });

  it("reads a hand edit that is not a log of reactions as none, and says what is wrong", () => {
    const entry = (seq: unknown, action: unknown) =>
      JSON.stringify({ seq, action, time: "2026-11-30T10:00:00Z" });
    const log = (...entries: string[]) => `{"through":0,"counts":{},"pending":[${entries.join(",")}]}`;
    const bad: Record<string, string> = {
      '[{"seq":1,"action":"lo': "not JSON",
      '"love"': "the log",
      "{}": "/through",
      "42": "the log",
      null: "the log",
      [log("null")]: "/pending/0",
      [log('{"action":"love"}')]: "/pending/0",
      [log(entry("1", "love"))]: "/pending/0/seq",
      [log(entry(1, "__proto__"))]: "/pending/0/action",
      [log(entry(1, "constructor"))]: "/pending/0/action",
      [log(entry(2, "love"), entry(1, "like"))]: "/pending/1/seq",
      '{"through":5,"counts":{},"pending":[{"seq":5,"action":"love","time":"t"}]}': "/pending/0/seq",
      '{"through":0,"counts":{"__proto__":1},"pending":[]}': "/counts",
    };
    for (const [raw, where] of Object.entries(bad)) {
      const result = read(raw);
      expect(result.log, raw).toEqual(emptyLog());
      expect(result.problem, raw).toContain(`${FEEDBACK_LOG_ANNOTATION}: ${where}`);
    }
  });

  it("reads an Artwork without reactions as an empty log", () => {
    expect(feedbackLog(artwork("fox"))).toEqual(emptyLog());
  });
});

describe("appendReactions", () => {
  it("numbers reactions after the newest, folded or not, and names the LearningState that folds them", () => {
    const first = add(emptyLog(), "like");
    expect(first).toEqual({
      into: "studio",
      through: 0,
      counts: {},
      pending: [{ seq: 1, action: "like", time: "2026-06-01T12:00:00.000Z" }],
    });
    const compacted = compactLog(add(first, "love"), 2);
    expect(lastSeq(add(compacted, "share"))).toBe(3);
  });

  it("takes no more than MAX_PENDING_REACTIONS unfolded ones and says how many it took", () => {
    const full = add(emptyLog(), ...Array<"like">(MAX_PENDING_REACTIONS - 1).fill("like"));
    const result = appendReactions(
      full,
      [
        { action: "love", time: when },
        { action: "share", time: when },
      ],
      "studio",
    );
    expect(result.taken).toBe(1);
    expect(result.log.pending).toHaveLength(MAX_PENDING_REACTIONS);
    expect(appendReactions(result.log, [{ action: "like", time: when }], "studio")).toEqual({
      log: result.log,
      taken: 0,
    });
  });

  it("keeps naming the LearningState that folds unfolded reactions; an empty log follows the pool", () => {
    const log = add(emptyLog(), "like");
    expect(appendReactions(log, [{ action: "love", time: when }], "elsewhere").log.into).toBe("studio");
    const folded = compactLog(log, 1);
    expect(appendReactions(folded, [{ action: "love", time: when }], "elsewhere").log.into).toBe("elsewhere");
    expect(appendDeletion(log, "elsewhere", when)).toMatchObject({ into: "studio", deletion: 2 });
  });
});

describe("compactLog", () => {
  it("moves folded reactions into the counts and keeps the rest, numbered as they were", () => {
    const log = add(emptyLog(), "love", "love", "like", "share");
    const compacted = compactLog(log, 3);
    expect(compacted).toMatchObject({ through: 3, counts: { love: 2, like: 1 } });
    expect(compacted.pending.map((e) => e.seq)).toEqual([4]);
    expect(reactionCounts(compacted)).toEqual(reactionCounts(log));
    expect(compactLog(compacted, 2)).toBe(compacted);
    expect(compactLog(compactLog(compacted, 4), 4)).toEqual(compactLog(compacted, 4));
  });

  it("remembers request ids of folded reactions, a bounded number of them", () => {
    const withIds = appendReactions(
      emptyLog(),
      Array.from({ length: 200 }, (_, i) => ({ action: "like" as const, time: when, source: `r-${i}` })),
      "studio",
    ).log;
    expect(hasRequest(withIds, "r-7")).toBe(true);
    let log = compactLog(withIds, 200);
    expect(log.pending).toEqual([]);
    expect(hasRequest(log, "r-7")).toBe(true);
    expect(hasRequest(log, "r-700")).toBe(false);
    for (let round = 0; round < 10; round++) {
      const next = appendReactions(
        log,
        Array.from({ length: 200 }, (_, i) => ({
          action: "like" as const,
          time: when,
          source: `x${round}-${i}`,
        })),
        "studio",
      ).log;
      log = compactLog(next, lastSeq(next));
    }
    expect(log.requests).toHaveLength(MAX_REMEMBERED_REQUESTS);
    expect(hasRequest(log, "x9-199")).toBe(true);
  });

  it("keeps the annotation small however many reactions were folded", () => {
    let log = emptyLog();
    for (let i = 0; i < 10_000 / MAX_PENDING_REACTIONS + 1; i++) {
      const ids = Array.from({ length: MAX_PENDING_REACTIONS }, (_, j) => ({
        action: "love" as const,
        time: when,
        source: `request-${i}-${j}`.padEnd(64, "x"),
      }));
      log = compactLog(appendReactions(log, ids, "studio").log, lastSeq(log));
      log = appendReactions(log, ids, "studio").log;
    }
    expect(serializeLog(log).length).toBeLessThan(100 * 1024);
  });
});

describe("reactionCounts", () => {
  it("counts each action, folded or not, with zeros for those not given", () => {
    const log = compactLog(add(emptyLog(), "love", "love", "delete"), 1);
    expect(reactionCounts(log)).toEqual({ like: 0, love: 2, download: 0, share: 0, delete: 1 });
  });
});
