// Renders charts/aria/templates the way `helm template` would, for the subset of Go template the
// chart uses so far: `{{ .Release.Namespace }}` and `{{ .Values.a.b }}`, piped through `toJson`
// and `quote`. No helm binary is installed here yet; anything else in a template fails loudly
// rather than rendering wrong.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const CHART = "charts/aria";

export type Values = Record<string, unknown>;

export function chartValues(): Values {
  return parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as Values;
}

function lookup(root: Record<string, unknown>, path: string, action: string): unknown {
  let value: unknown = root;
  for (const key of path.split(".").slice(1)) {
    if (typeof value !== "object" || value === null || !(key in value))
      throw new Error(`chart: ${action} names a value that is not set`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function render(template: string, context: Record<string, unknown>, file: string) {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const [path, ...pipes] = action.split("|").map((p) => p.trim());
    if (!path || !/^\.(Release|Values)(\.[A-Za-z0-9_]+)+$/.test(path))
      throw new Error(`chart: ${file}: unsupported template action {{ ${action} }}`);
    let value = lookup(context, path, `${file}: {{ ${action} }}`);
    for (const pipe of pipes) {
      if (pipe === "toJson") value = JSON.stringify(value);
      else if (pipe === "quote") value = JSON.stringify(String(value));
      else throw new Error(`chart: ${file}: unsupported function ${pipe} in {{ ${action} }}`);
    }
    if (typeof value === "object") throw new Error(`chart: ${file}: {{ ${action} }} is not a scalar`);
    return String(value);
  });
}

/** Every template, rendered for a release in `namespace`, as one multi-document manifest. */
export function renderChart(namespace: string, values: Values = chartValues()) {
  const context = { Release: { Namespace: namespace }, Values: values };
  return readdirSync(join(CHART, "templates"))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => render(readFileSync(join(CHART, "templates", f), "utf8"), context, f))
    .join("\n---\n");
}
