import { describe, expect, it } from "vitest";
import type { Artwork } from "../../crds/artwork.ts";
import { chooseWorker, queueOrder } from "./placement.ts";
import type { WorkerView } from "./worker-view.ts";

const now = 1_000_000;
const worker = (id: string, capacity: number, models = ["painter"], ready = true): WorkerView => ({
  id,
  namespace: "ns",
  pool: "studio",
  expiresAt: now + 10_000,
  report: {
    ready,
    capacity,
    models: models.map((name) => ({ name, role: "generator", state: "Ready" })),
  },
});

describe("chooseWorker", () => {
  it("prefers the worker with the fewest Artworks in flight", () => {
    const w = chooseWorker([worker("a", 2), worker("b", 2)], new Map([["a", 1]]), "painter", now);
    expect(w?.id).toBe("b");
  });

  it("never picks a full, unready, expired or cold worker", () => {
    const expired = { ...worker("c", 4), expiresAt: now - 1 };
    const workers = [
      worker("a", 1),
      worker("b", 4, ["painter"], false),
      expired,
      worker("d", 4, ["sketcher"]),
    ];
    expect(chooseWorker(workers, new Map([["a", 1]]), "painter", now)).toBeUndefined();
  });
});

describe("queueOrder", () => {
  const art = (name: string, priority: number, created: string) =>
    ({
      metadata: { name, creationTimestamp: created },
      spec: { prompt: "x", poolRef: { name: "p" }, priority },
    }) as unknown as Artwork;
  it("orders by priority, then creation time", () => {
    const list = [
      art("late", 0, "2026-01-02"),
      art("urgent", 5, "2026-01-03"),
      art("early", 0, "2026-01-01"),
    ];
    expect(list.sort(queueOrder).map((a) => a.metadata.name)).toEqual(["urgent", "early", "late"]);
  });
});
