import { describe, expect, it } from "vitest";
import { setCondition } from "./condition.ts";

describe("setCondition", () => {
  const ready = { type: "Ready", status: "False" as const, reason: "Generating", message: "step 1/20" };

  it("keeps lastTransitionTime while the status stays the same", () => {
    const first = setCondition([], ready, new Date("2026-01-01T00:00:00Z"));
    const second = setCondition(first, { ...ready, message: "step 2/20" }, new Date("2026-01-01T00:05:00Z"));
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ message: "step 2/20", lastTransitionTime: "2026-01-01T00:00:00Z" });
  });

  it("moves lastTransitionTime when the status changes", () => {
    const first = setCondition([], ready, new Date("2026-01-01T00:00:00Z"));
    const done = setCondition(
      first,
      { ...ready, status: "True", reason: "Succeeded" },
      new Date("2026-01-01T00:05:00Z"),
    );
    expect(done[0]).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T00:05:00Z" });
  });
});
