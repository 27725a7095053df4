import { describe, expect, it } from "vitest";
import { artwork, metaTime, modelStates, NOW, workerView } from "../../test/fixtures/operator-objects.ts";
import { chooseWorker, queueOrder } from "./placement.ts";

const worker = (id: string, capacity: number, models = ["painter"], ready = true) =>
  workerView(id, { capacity, ready, models: modelStates("Ready", models) });

describe("chooseWorker", () => {
  it("prefers the worker with the fewest Artworks in flight", () => {
    const w = chooseWorker([worker("a", 2), worker("b", 2)], new Map([["a", 1]]), "painter", NOW);
    expect(w?.id).toBe("b");
  });

  it("never picks a full, unready, expired or cold worker", () => {
    const expired = { ...worker("c", 4), expiresAt: NOW - 1 };
    const workers = [
      worker("a", 1),
      worker("b", 4, ["painter"], false),
      expired,
      worker("d", 4, ["sketcher"]),
    ];
    expect(chooseWorker(workers, new Map([["a", 1]]), "painter", NOW)).toBeUndefined();
  });
});

describe("queueOrder", () => {
  const art = (name: string, priority: number, created: string) =>
    artwork(name, { spec: { priority }, metadata: { creationTimestamp: metaTime(created) } });
  it("orders by priority, then creation time", () => {
    const list = [
      art("late", 0, "2026-01-02"),
      art("urgent", 5, "2026-01-03"),
      art("early", 0, "2026-01-01"),
    ];
    expect(list.sort(queueOrder).map((a) => a.metadata.name)).toEqual(["urgent", "early", "late"]);
  });
});
