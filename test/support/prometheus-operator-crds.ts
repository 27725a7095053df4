// The prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule, ...) from their
// published module source on the Go module proxy, installed into the test's control plane so the
// chart's monitoring objects meet the real schemas.
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { kubectl } from "./cluster.ts";

const run = promisify(execFile);
const MODULE = "github.com/prometheus-operator/prometheus-operator@v0.85.0";

/** Applies every example/prometheus-operator-crd/*.yaml of the module and waits until they serve. */
export async function installPrometheusOperatorCrds(): Promise<void> {
  const { stdout } = await run("go", ["mod", "download", "-json", MODULE], { maxBuffer: 4 * 1024 * 1024 });
  const dir = join((JSON.parse(stdout) as { Dir: string }).Dir, "example", "prometheus-operator-crd");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));
  // Server-side: these CRDs exceed the last-applied annotation's size limit of a client-side apply.
  const applied = await kubectl(["apply", "--server-side", ...files.flatMap((f) => ["-f", f])]);
  if (applied.code !== 0)
    throw new Error(`installing the prometheus-operator CRDs failed: ${applied.stderr}`);
  const names = ["servicemonitors", "podmonitors", "prometheusrules"].map(
    (r) => `crd/${r}.monitoring.coreos.com`,
  );
  // kubectl wait errors, rather than waits, on a CRD the API server has not yet given conditions.
  let ready = await kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
  for (let tries = 0; ready.code !== 0 && tries < 30; tries++) {
    await new Promise((r) => setTimeout(r, 1000));
    ready = await kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
  }
  if (ready.code !== 0)
    throw new Error(`the prometheus-operator CRDs did not become established: ${ready.stderr}`);
}
