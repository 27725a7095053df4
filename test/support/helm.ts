// helm v3, built once from the Go module proxy into the cache outside git, and the chart commands
// the tests run with it (charts/aria, rendered and linted exactly as a user's helm would).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { ensureGoTool } from "../../tools/go-tool.ts";

export const CHART_DIR = fileURLToPath(new URL("../../charts/aria", import.meta.url));

const HELM_VERSION = "v3.22.0";
// helm's Makefile stamps the version and the Kubernetes version it targets (client-go v0.37 →
// Kubernetes 1.37, used for .Capabilities.KubeVersion and lint's deprecation checks).
const LDFLAGS = [
  `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
  "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
  ...["pkg/lint/rules", "pkg/chartutil"].flatMap((pkg) => [
    `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
    `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=37`,
  ]),
].join(" ");

/** The cached helm executable (built the first time: a few minutes). */
export function ensureHelm(): Promise<string> {
  return ensureGoTool({
    name: "helm",
    pkg: "helm.sh/helm/v3/cmd/helm",
    version: HELM_VERSION,
    ldflags: LDFLAGS,
  });
}

export type Values = Record<string, unknown>;

/** The chart's defaults, charts/aria/values.yaml. */
export function chartValues(): Values {
  return parse(readFileSync(join(CHART_DIR, "values.yaml"), "utf8")) as Values;
}

export interface ChartOptions {
  /** Values over the chart's defaults: an object, or the path of a values file. */
  values?: Values | string;
  /** --set-json pairs, e.g. { "storage.pvc.size": "50Gi" } (any JSON value). */
  set?: Record<string, unknown>;
  /** Kubernetes API versions the render may assume are served (--api-versions), e.g. monitoring.coreos.com/v1. */
  apiVersions?: string[];
  namespace?: string;
  release?: string;
  /** Only the manifests of these templates (globs such as templates/rbac-*.yaml). */
  showOnly?: string[];
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`; never rejects on helm's own failure (see `code` and `stderr`). */
export async function helm(args: string[]): Promise<HelmResult> {
  const exe = await ensureHelm();
  return new Promise((resolve) => {
    execFile(
      exe,
      args,
      // A home of helm's own keeps the user's repositories and plugins out of the tests.
      {
        env: {
          ...process.env,
          HELM_CACHE_HOME: join(tmpdir(), "aria-helm", "cache"),
          HELM_CONFIG_HOME: join(tmpdir(), "aria-helm", "config"),
          HELM_DATA_HOME: join(tmpdir(), "aria-helm", "data"),
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `command` with the helm flags `opts` stand for; a values object travels as a temporary file. */
async function withChartFlags(opts: ChartOptions, command: (flags: string[]) => Promise<HelmResult>) {
  let dir: string | undefined;
  try {
    const flags: string[] = [];
    if (typeof opts.values === "string") flags.push("--values", opts.values);
    else if (opts.values) {
      dir = await mkdtemp(join(tmpdir(), "aria-values-"));
      const file = join(dir, "values.json");
      await writeFile(file, JSON.stringify(opts.values));
      flags.push("--values", file);
    }
    for (const [key, value] of Object.entries(opts.set ?? {}))
      flags.push("--set-json", `${key}=${JSON.stringify(value)}`);
    for (const api of opts.apiVersions ?? []) flags.push("--api-versions", api);
    if (opts.namespace) flags.push("--namespace", opts.namespace);
    for (const template of opts.showOnly ?? []) flags.push("--show-only", template);
    return await command(flags);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** `helm template` of charts/aria: its result, or helm's failure in full. */
export function helmTemplateResult(opts: ChartOptions = {}): Promise<HelmResult> {
  return withChartFlags(opts, (flags) => helm(["template", opts.release ?? "aria", CHART_DIR, ...flags]));
}

/** The manifest `helm template` renders from charts/aria (a multi-document YAML); rejects with helm's error. */
export async function helmTemplate(opts: ChartOptions = {}): Promise<string> {
  const r = await helmTemplateResult(opts);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `helm lint --strict` of charts/aria. */
export function helmLint(opts: ChartOptions = {}): Promise<HelmResult> {
  return withChartFlags(opts, (flags) => helm(["lint", "--strict", CHART_DIR, ...flags]));
}
