// The chart's monitoring as a Prometheus Operator user meets it: rendered only where the API is
// served, accepted by the real prometheus-operator CRDs, every rule's PromQL parsed by
// Prometheus' own parser and naming only metrics the operator really exports.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createNamespace, kubectl } from "../support/cluster.ts";
import { helmTemplate } from "../support/helm.ts";
import { installPrometheusOperatorCrds } from "../support/prometheus-operator-crds.ts";
import { metricNames, promqlErrors, type Query } from "../support/promql.ts";
import { startOperator, stopAll, type OperatorProc } from "../support/processes.ts";
import { httpGet, waitForLeading } from "../support/waits.ts";

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

let namespace: string;
let operator: OperatorProc;
beforeAll(async () => {
  await installPrometheusOperatorCrds();
  namespace = await createNamespace("monitoring");
  operator = startOperator(namespace);
  await waitForLeading(operator);
});
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
    const manifest = await helmTemplate({ set: ENABLED, apiVersions: APIS });
    const rule = kinds(manifest).find((o) => o.kind === "PrometheusRule");
    const queries: Query[] = (rule?.spec.groups ?? []).flatMap((g) =>
      g.rules.map((r) => ({ name: r.alert, expr: r.expr })),
    );
    expect(queries.map((q) => q.name).sort()).toEqual([
      "AriaGenerationErrorRateHigh",
      "AriaLearningNotFolding",
      "AriaPoolNoWarmWorker",
      "AriaQueueBacklogGrowing",
      "AriaWorkerHeartbeatsMissing",
    ]);
    expect(await promqlErrors(queries)).toEqual([]);
    expect(await promqlErrors([{ name: "broken", expr: "sum(rate(aria_x[5m])" }])).toHaveLength(1);

    const { body } = await httpGet(operator, "/metrics");
    const exported = new Set([...body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
    const missing = queries.flatMap((q) => metricNames(q.expr).filter((n) => !exported.has(n)));
    expect(missing).toEqual([]);
  });
});
