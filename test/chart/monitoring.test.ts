// The chart's monitoring as a Prometheus Operator user meets it: rendered only where the API is
// served, accepted by the real prometheus-operator CRDs, every rule's PromQL parsed by
// Prometheus' own parser and naming only metrics the operator really exports; the Grafana
// dashboard's panels likewise, over the metrics of a live operator and worker; and every query
// evaluated by Prometheus' own engine over two scrapes of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { parseAllDocuments } from "yaml";
import { registerGpuMemory } from "../../worker/gpu-memory.ts";
import { createNamespace, kubectl } from "../support/cluster.ts";
import { helmTemplate } from "../support/helm.ts";
import { installPrometheusOperatorCrds } from "../support/prometheus-operator-crds.ts";
import { evaluatePromql, metricNames, promqlErrors, type Query, type Scrape } from "../support/promql.ts";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "../support/artworks.ts";
import {
  startOperator,
  startWorker,
  stopAll,
  type OperatorProc,
  type WorkerProc,
} from "../support/processes.ts";
import { httpGet, waitForLeading, waitForWorkerReady } from "../support/waits.ts";

const ENABLED = { "monitoring.serviceMonitor.enabled": true, "monitoring.prometheusRule.enabled": true };
const APIS = ["ServiceMonitor", "PodMonitor", "PrometheusRule"].map((k) => `monitoring.coreos.com/v1/${k}`);

interface Obj {
  kind: string;
  spec: { groups?: { rules: { alert: string; expr: string }[] }[] };
}

const kinds = (manifest: string) =>
  parseAllDocuments(manifest)
    .map((d) => d.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null);

/** The PrometheusRule's alerts, as the chart renders them. */
async function ruleQueries(): Promise<Query[]> {
  const manifest = await helmTemplate({ set: ENABLED, apiVersions: APIS });
  const rule = kinds(manifest).find((o) => o.kind === "PrometheusRule");
  return (rule?.spec.groups ?? []).flatMap((g) => g.rules.map((r) => ({ name: r.alert, expr: r.expr })));
}

/** The Grafana dashboard ConfigMap's labels, the dashboard and every panel's query. */
async function dashboardQueries() {
  const manifest = await helmTemplate({ set: { "monitoring.grafanaDashboard.enabled": true } });
  const cm = parseAllDocuments(manifest)
    .map(
      (d) =>
        d.toJSON() as {
          kind: string;
          metadata: { labels: Record<string, string> };
          data: Record<string, string>;
        },
    )
    .find((o) => o?.kind === "ConfigMap");
  const dashboard = JSON.parse(cm!.data["aria.json"]!) as {
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
  };
  const queries: Query[] = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ name: p.title, expr: t.expr })),
  );
  return { labels: cm!.metadata.labels, dashboard, queries };
}

let namespace: string;
let operator: OperatorProc;
let worker: WorkerProc;
beforeAll(async () => {
  await installPrometheusOperatorCrds();
  namespace = await createNamespace("monitoring");
  operator = startOperator(namespace);
  await waitForLeading(operator);
  await createPool(namespace, "studio", { replicas: 1 });
  worker = startWorker(namespace, "studio", "w1");
  await waitForWorkerReady(worker);
});

/** Metric families the live operator and worker export (a histogram's _bucket/_sum/_count included). */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const proc of [operator, worker]) {
    const { body } = await httpGet(proc, "/metrics");
    for (const [, name, type] of body.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
      names.add(name!);
      if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
    }
  }
  return names;
}
afterAll(() => stopAll());

describe("chart monitoring", () => {
  it("renders no monitoring object where the Prometheus Operator API is not served", async () => {
    const list = kinds(await helmTemplate({ set: ENABLED }));
    expect(list.filter((o) => o.kind.match(/Monitor|PrometheusRule/))).toEqual([]);
  });

  it("renders a ServiceMonitor, a PodMonitor and a PrometheusRule that the real CRDs accept", async () => {
    const manifest = await helmTemplate({ set: ENABLED, apiVersions: APIS, namespace, release: "mon" });
    expect(kinds(manifest).map((o) => o.kind)).toEqual(
      expect.arrayContaining(["ServiceMonitor", "PodMonitor", "PrometheusRule"]),
    );
    const r = await kubectl(["apply", "--dry-run=server", "-n", namespace, "-f", "-"], manifest);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("prometheusrule.monitoring.coreos.com/aria created (server dry run)");
  });

  it("alerts on what the issue names, in PromQL that parses, over metrics the operator exports", async () => {
    const queries = await ruleQueries();
    expect(queries.map((q) => q.name).sort()).toEqual([
      "AriaGenerationErrorRateHigh",
      "AriaLearningNotFolding",
      "AriaPoolNoWarmWorker",
      "AriaQueueBacklogGrowing",
      "AriaWorkerHeartbeatsMissing",
    ]);
    expect(await promqlErrors(queries)).toEqual([]);
    expect(await promqlErrors([{ name: "broken", expr: "sum(rate(aria_x[5m])" }])).toHaveLength(1);

    const exported = await exportedMetrics();
    const missing = queries.flatMap((q) => metricNames(q.expr).filter((n) => !exported.has(n)));
    expect(missing).toEqual([]);
  });

  it("ships a Grafana dashboard whose every panel queries, in valid PromQL, metrics Aria exports", async () => {
    const { labels, dashboard, queries } = await dashboardQueries();
    expect(labels.grafana_dashboard).toBe("1");
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining(["Render duration (p50, p95)", "Queue depth", "GPU memory"]),
    );
    expect(queries.length).toBeGreaterThanOrEqual(12);
    expect(await promqlErrors(queries)).toEqual([]);
    // GPU memory is registered only on workers that run on CUDA: take its family from that registration.
    const cuda = new Registry();
    registerGpuMemory(cuda, "studio");
    const exported = new Set([
      ...(await exportedMetrics()),
      ...(await cuda.getMetricsAsJSON()).map((m) => m.name),
    ]);
    expect(queries.flatMap((q) => metricNames(q.expr).filter((n) => !exported.has(n)))).toEqual([]);
  });
  it("evaluates every alert and panel with Prometheus' engine over two scrapes of a live operator and worker", async () => {
    const scrape = async (): Promise<Scrape[]> =>
      Promise.all(
        [operator, worker].map(async (proc, i) => ({
          instance: ["operator", "worker"][i]!,
          atMs: Date.now(),
          text: (await httpGet(proc, "/metrics")).body,
        })),
      );
    const render = async (name: string) => {
      await createArtwork(namespace, name, { ...QUICK, poolRef: { name: "studio" } });
      await eventually(() => getArtwork(namespace, name), isReady, 60_000);
    };
    // A render before each scrape: every series a rate() reads is in both, and grew between them.
    await render("observed-1");
    const first = await scrape();
    await render("observed-2");
    await new Promise((r) => setTimeout(r, 1000));
    const scrapes = [...first, ...(await scrape())];
    const alerts = await evaluatePromql(await ruleQueries(), scrapes);
    const panels = await evaluatePromql((await dashboardQueries()).queries, scrapes);
    expect([...alerts, ...panels].filter((e) => e.error)).toEqual([]);
    // A healthy pool with a warm worker and a render that succeeded: no alert fires.
    expect(alerts.filter((e) => e.series > 0)).toEqual([]);
    const series = Object.fromEntries(panels.map((e) => [e.name, e.series]));
    for (const panel of ["Warm workers", "Render duration (p50, p95)", "Queue depth"])
      expect(series[panel], panel).toBeGreaterThan(0);
  });
});
