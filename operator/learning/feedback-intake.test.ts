import { describe, expect, it } from "vitest";
import type { ArtworkStatus } from "../../crds/artwork.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { ago, artwork, learningState, metaTime, NOW } from "../../test/fixtures/operator-objects.ts";
import { deletionStep, FOLD_WAIT_MS, settledLog } from "./feedback-intake.ts";
import {
  appendDeletion,
  appendReactions,
  compactLog,
  emptyLog,
  serializeLog,
  type FeedbackLog,
} from "./feedback-log.ts";

const when = new Date(NOW);
const loved = appendReactions(emptyLog(), [{ action: "love", time: when }], "studio").log;
/** loved, with its deletion recorded as reaction 2. */
const withDeletion = appendDeletion(loved, "studio", when);

/** An Artwork painter rendered, deleted `deletedAgo` ms before NOW, with `log` as its feedback log. */
const deleted = (
  deletedAgo: number,
  log?: FeedbackLog,
  status: ArtworkStatus = { phase: "Succeeded", model: "painter" },
) =>
  artwork("fox", {
    metadata: {
      deletionTimestamp: metaTime(ago(deletedAgo)),
      ...(log ? { annotations: { [FEEDBACK_LOG_ANNOTATION]: serializeLog(log) } } : {}),
    },
    status,
  });
/** The LearningState having folded the fox's log up to `seq`. */
const foldedUpTo = (seq: number) => learningState({ folded: { "fox/uid-fox": seq } });

describe("deletionStep", () => {
  it("lets an Artwork that was never rendered go at once: there is nothing to react to", () => {
    const pending = artwork("fox", { metadata: { deletionTimestamp: metaTime(ago(0)) } });
    expect(deletionStep(pending, learningState(), NOW)).toBe("proceed");
  });

  it("does not count the deletion of an Artwork that failed after it was bound as a reaction", () => {
    const failed = deleted(0, undefined, { phase: "Failed", model: "painter" });
    expect(deletionStep(failed, learningState(), NOW)).toBe("proceed");
  });

  it("records the deletion of a rendered Artwork as a reaction first, even after a user's delete reaction", () => {
    expect(deletionStep(deleted(0), learningState(), NOW)).toBe("record");
    const userDelete = appendReactions(loved, [{ action: "delete", time: when }], "studio").log;
    expect(deletionStep(deleted(0, userDelete), foldedUpTo(2), NOW)).toBe("record");
  });

  it("waits until the LearningState has folded the delete reaction, or the Artwork compacted it", () => {
    expect(deletionStep(deleted(1_000, withDeletion), foldedUpTo(1), NOW)).toBe("wait");
    expect(deletionStep(deleted(1_000, withDeletion), learningState(), NOW)).toBe("wait");
    expect(deletionStep(deleted(1_000, withDeletion), foldedUpTo(2), NOW)).toBe("proceed");
    expect(deletionStep(deleted(1_000, compactLog(withDeletion, 2)), learningState(), NOW)).toBe("proceed");
  });

  it(`goes ahead without the fold ${FOLD_WAIT_MS / 1000} s after deletion began`, () => {
    expect(deletionStep(deleted(FOLD_WAIT_MS - 1, withDeletion), foldedUpTo(0), NOW)).toBe("wait");
    expect(deletionStep(deleted(FOLD_WAIT_MS, withDeletion), foldedUpTo(0), NOW)).toBe("proceed");
  });

  it("does not wait for a LearningState that does not exist", () => {
    expect(deletionStep(deleted(0, withDeletion), undefined, NOW)).toBe("proceed");
  });
});

describe("settledLog", () => {
  const fox = artwork("fox");

  it("compacts what the LearningState recorded as folded, and nothing else", () => {
    const two = appendReactions(loved, [{ action: "like", time: when }], "studio").log;
    expect(settledLog(two, fox, foldedUpTo(1), "studio")).toMatchObject({
      through: 1,
      counts: { love: 1 },
      pending: [{ seq: 2, action: "like" }],
    });
    expect(settledLog(two, fox, learningState(), "studio")).toBeUndefined();
  });

  it("names the pool's new LearningState only once nothing is left unfolded, or the old one is gone", () => {
    expect(settledLog(loved, fox, learningState(), "other")).toBeUndefined();
    expect(settledLog(loved, fox, foldedUpTo(1), "other")).toMatchObject({ into: "other", through: 1 });
    expect(settledLog(loved, fox, undefined, "other")).toBeUndefined();
    expect(settledLog(loved, fox, undefined, "other", true)).toMatchObject({ into: "other", through: 0 });
  });
});
