// prom-client keeps every label set a gauge was ever given until it is removed, so the series of a
// deleted pool or LearningState would stay in /metrics (and in memory) for the life of the process.
// This remembers which series each object published, to replace them as a whole and drop them
// when the object goes.
import type { Gauge, LabelValues } from "prom-client";

export interface Sample {
  gauge: Gauge<string>;
  labels: LabelValues<string>;
  value: number;
}

export class ObjectSeries {
  private readonly byObject = new Map<string, Array<Omit<Sample, "value">>>();

  /** Sets the object's samples; series it published before and does not publish now are removed. */
  publish(object: string, samples: Sample[]): void {
    const now = new Set(samples.map((s) => seriesId(s)));
    for (const old of this.byObject.get(object) ?? []) {
      if (!now.has(seriesId(old))) old.gauge.remove(old.labels);
    }
    for (const s of samples) s.gauge.set(s.labels, s.value);
    this.byObject.set(
      object,
      samples.map(({ gauge, labels }) => ({ gauge, labels })),
    );
  }

  /** Removes every series the object published (it was deleted). */
  release(object: string): void {
    for (const { gauge, labels } of this.byObject.get(object) ?? []) gauge.remove(labels);
    this.byObject.delete(object);
  }

  /** Objects with published series; bounded by the objects that exist. */
  get size(): number {
    return this.byObject.size;
  }
}

function seriesId(s: Omit<Sample, "value">) {
  const labels = Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b));
  return `${(s.gauge as unknown as { name: string }).name}${JSON.stringify(labels)}`;
}
