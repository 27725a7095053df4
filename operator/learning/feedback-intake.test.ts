import { describe, expect, it } from "vitest";
import type { FeedbackAction } from "../../crds/learning-state.ts";
import {
  ago,
  artwork,
  learningState,
  metaTime,
  NOW,
  reactions,
} from "../../test/fixtures/operator-objects.ts";
import { deletionStep, FOLD_WAIT_MS } from "./feedback-intake.ts";

/** An Artwork painter rendered, deleted `deletedAgo` ms before NOW, with `actions` in its log. */
const deleted = (deletedAgo: number, ...actions: FeedbackAction[]) =>
  artwork("fox", {
    metadata: { deletionTimestamp: metaTime(ago(deletedAgo)), annotations: reactions(...actions) },
    status: { phase: "Succeeded", model: "painter" },
  });
/** The LearningState having folded the fox's log up to `seq`. */
const foldedUpTo = (seq: number) => learningState({ folded: { "uid-fox": seq } });

describe("deletionStep", () => {
  it("lets an Artwork that was never rendered go at once: there is nothing to react to", () => {
    const pending = artwork("fox", { metadata: { deletionTimestamp: metaTime(ago(0)) } });
    expect(deletionStep(pending, learningState(), NOW)).toBe("proceed");
  });

  it("records the deletion of a rendered Artwork as a reaction first", () => {
    expect(deletionStep(deleted(0), learningState(), NOW)).toBe("record");
    expect(deletionStep(deleted(0, "love", "like"), foldedUpTo(2), NOW)).toBe("record");
  });

  it("waits until the LearningState has folded the delete reaction", () => {
    expect(deletionStep(deleted(1_000, "love", "delete"), foldedUpTo(1), NOW)).toBe("wait");
    expect(deletionStep(deleted(1_000, "love", "delete"), learningState(), NOW)).toBe("wait");
    expect(deletionStep(deleted(1_000, "love", "delete"), foldedUpTo(2), NOW)).toBe("proceed");
  });

  it(`goes ahead without the fold ${FOLD_WAIT_MS / 1000} s after deletion began`, () => {
    expect(deletionStep(deleted(FOLD_WAIT_MS - 1, "delete"), foldedUpTo(0), NOW)).toBe("wait");
    expect(deletionStep(deleted(FOLD_WAIT_MS, "delete"), foldedUpTo(0), NOW)).toBe("proceed");
  });

  it("does not wait for a LearningState that does not exist", () => {
    expect(deletionStep(deleted(0, "delete"), undefined, NOW)).toBe("proceed");
  });
});
