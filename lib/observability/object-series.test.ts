import { Gauge, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ObjectSeries } from "./object-series.ts";

function pool(registry: Registry) {
  const size = new Gauge({
    name: "pool_size",
    help: "workers",
    labelNames: ["namespace", "pool"],
    registers: [registry],
  });
  const preloaded = new Gauge({
    name: "pool_preloaded",
    help: "warm workers",
    labelNames: ["namespace", "pool", "model"],
    registers: [registry],
  });
  return { size, preloaded };
}

describe("ObjectSeries", () => {
  it("removes a deleted object's series and keeps the others'", async () => {
    const registry = new Registry();
    const { size, preloaded } = pool(registry);
    const series = new ObjectSeries();
    for (const name of ["studio", "atelier"]) {
      series.publish(`gallery/${name}`, [
        { gauge: size, labels: { namespace: "gallery", pool: name }, value: 2 },
        { gauge: preloaded, labels: { namespace: "gallery", pool: name, model: "painter" }, value: 1 },
      ]);
    }
    series.release("gallery/studio");
    const text = await registry.metrics();
    expect(text).not.toContain('pool="studio"');
    expect(text).toContain('pool_size{namespace="gallery",pool="atelier"} 2');
    expect(text).toContain('pool_preloaded{namespace="gallery",pool="atelier",model="painter"} 1');
    expect(series.size).toBe(1);
  });

  it("drops series an object no longer publishes (a model removed from a pool)", async () => {
    const registry = new Registry();
    const { preloaded } = pool(registry);
    const series = new ObjectSeries();
    const labels = (model: string) => ({ namespace: "gallery", pool: "studio", model });
    series.publish("gallery/studio", [
      { gauge: preloaded, labels: labels("painter"), value: 1 },
      { gauge: preloaded, labels: labels("sketcher"), value: 1 },
    ]);
    series.publish("gallery/studio", [{ gauge: preloaded, labels: labels("painter"), value: 2 }]);
    const text = await registry.metrics();
    expect(text).not.toContain("sketcher");
    expect(text).toContain('model="painter"} 2');
  });

  it("keeps nothing of many objects created and deleted", async () => {
    const registry = new Registry();
    const { size } = pool(registry);
    const series = new ObjectSeries();
    for (let i = 0; i < 10_000; i++) {
      const key = `gallery/pool-${i}`;
      series.publish(key, [{ gauge: size, labels: { namespace: "gallery", pool: `pool-${i}` }, value: i }]);
      series.release(key);
    }
    expect(series.size).toBe(0);
    expect((await size.get()).values).toHaveLength(0);
  });
});
