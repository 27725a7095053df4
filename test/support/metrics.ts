// Reading a process's Prometheus /metrics, as a scrape would.
import type { Proc } from "../controlplane/aria-process.ts";

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The sum of every sample of `name` in Prometheus text whose labels include `labels`; 0 if none. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}) {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = SAMPLE.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(LABEL)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Scrapes the process's /metrics and sums the samples of `name` (see metricSum). */
export async function scrapeMetric(proc: Proc, name: string, labels: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${await proc.port()}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return metricSum(await res.text(), name, labels);
}
