// The learning gauges as a scrape sees them: per namespace, and gone with their LearningState.
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { LearningState } from "../../crds/learning-state.ts";
import {
  artwork,
  learningState,
  modelPool,
  NAMESPACE,
  POOL,
  reactions,
} from "../../test/fixtures/operator-objects.ts";
import type { OperatorContext } from "../context.ts";
import { operatorMetrics } from "../metrics.ts";
import { LearningController } from "./learning-controller.ts";

describe("LearningController metrics", () => {
  it("labels arm gauges with the namespace and removes them when the LearningState is deleted", async () => {
    const registry = new Registry();
    let ls: LearningState | undefined = learningState();
    const rendered = artwork("fox", {
      spec: { mood: "serene" },
      metadata: { annotations: reactions("love") },
      status: { phase: "Succeeded", model: "painter", steps: 30, guidanceScale: 7 },
    });
    const ctx = {
      caches: {
        learning: { get: () => ls },
        pools: { list: () => [modelPool()] },
        artworks: { list: () => [rendered] },
      },
      client: { patchStatusOf: async () => undefined, create: async () => undefined },
      metrics: operatorMetrics(registry),
      events: { record: () => undefined },
      log: pino({ level: "silent" }),
    } as unknown as OperatorContext;
    const controller = new LearningController(ctx);
    const key = { namespace: NAMESPACE, name: POOL };
    const series = async () =>
      (await registry.metrics()).split("\n").filter((l) => /^aria_learning_(model_score|samples)\{/.test(l));

    await controller.reconcile(key);
    const labels = `namespace="${NAMESPACE}",learningstate="${POOL}",model="painter",mood="serene"`;
    expect(await series()).toEqual([
      `aria_learning_model_score{${labels}} 2`,
      `aria_learning_samples{${labels}} 1`,
    ]);

    expect(await registry.metrics()).toContain(
      `aria_feedback_events_total{namespace="${NAMESPACE}",action="love"} 1`,
    );

    ls = undefined;
    await controller.reconcile(key);
    expect(await series()).toEqual([]);
  });
});
