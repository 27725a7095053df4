// The Grafana dashboard the chart ships (charts/aria/dashboards/aria.json), built with Grafana's
// foundation SDK so panels are typed code rather than hand-edited JSON. `npm run generate` writes
// it; `npm run generate:check` fails when the file differs from what this builds.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  RowBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

export const DASHBOARD_FILE = fileURLToPath(new URL("../charts/aria/dashboards/aria.json", import.meta.url));

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

interface Series {
  expr: string;
  legend: string;
}

function query({ expr, legend }: Series) {
  return new DataqueryBuilder().expr(expr).legendFormat(legend);
}

/** Grafana's 24-column grid, filled left to right and top to bottom; a row starts a new line. */
class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  place(w: number, h: number) {
    if (this.x + w > 24) this.newLine();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  row(title: string) {
    this.newLine();
    const row = new RowBuilder(title).gridPos(this.place(24, 1));
    this.newLine();
    return row;
  }

  private newLine() {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

function timeseries(grid: Grid, title: string, unit: string, series: Series[]) {
  const panel = new TimeseriesPanel()
    .title(title)
    .unit(unit)
    .datasource(DATASOURCE)
    .gridPos(grid.place(12, 8));
  for (const s of series) panel.withTarget(query(s));
  return panel;
}

function stat(grid: Grid, title: string, series: Series) {
  return new StatPanel()
    .title(title)
    .datasource(DATASOURCE)
    .gridPos(grid.place(6, 4))
    .withTarget(query(series));
}

interface Row {
  title: string;
  stats?: [title: string, series: Series][];
  graphs: [title: string, unit: string, series: Series[]][];
}

const quantile = (q: number) => ({
  expr: `histogram_quantile(${q}, sum by (le, model) (rate(aria_generation_duration_seconds_bucket[5m])))`,
  legend: `{{model}} p${q * 100}`,
});

/** The panels, row by row: what a cluster operator looks at first comes first. */
const ROWS: Row[] = [
  {
    title: "Pools",
    stats: [
      ["Warm workers", { expr: "sum(aria_model_pool_preloaded)", legend: "warm" }],
      ["Registered workers", { expr: "sum(aria_model_pool_size)", legend: "workers" }],
      ["Queued Artworks", { expr: "sum(aria_artwork_queue_depth)", legend: "queued" }],
      ["Rendering now", { expr: "sum(aria_worker_active_generations)", legend: "rendering" }],
    ],
    graphs: [
      [
        "Pool size and warm workers",
        "short",
        [
          {
            expr: "sum by (namespace, pool) (aria_model_pool_size)",
            legend: "{{namespace}}/{{pool}} workers",
          },
          {
            expr: "max by (namespace, pool) (aria_model_pool_preloaded)",
            legend: "{{namespace}}/{{pool}} warm",
          },
        ],
      ],
      [
        "Queue depth",
        "short",
        [{ expr: "sum by (namespace, pool) (aria_artwork_queue_depth)", legend: "{{namespace}}/{{pool}}" }],
      ],
    ],
  },
  {
    title: "Generation",
    graphs: [
      [
        "Artworks finished per minute",
        "short",
        [
          {
            expr: "sum by (model, status) (rate(aria_generation_requests_total[5m])) * 60",
            legend: "{{model}} {{status}}",
          },
        ],
      ],
      ["Render duration (p50, p95)", "s", [quantile(0.5), quantile(0.95)]],
      [
        "Generation errors per minute",
        "short",
        [
          {
            expr: "sum by (model, reason) (rate(aria_generation_errors_total[5m])) * 60",
            legend: "{{model}} {{reason}}",
          },
        ],
      ],
      [
        "Images generated per minute",
        "short",
        [{ expr: "sum by (model) (rate(aria_images_generated_total[5m])) * 60", legend: "{{model}}" }],
      ],
    ],
  },
  {
    title: "Curation and learning",
    graphs: [
      [
        "Learned score per model and mood",
        "percentunit",
        [{ expr: "avg by (model, mood) (aria_learning_model_score)", legend: "{{model}} {{mood}}" }],
      ],
      [
        "Reactions folded per hour",
        "short",
        [{ expr: "sum by (action) (rate(aria_feedback_events_total[15m])) * 3600", legend: "{{action}}" }],
      ],
      [
        "Samples behind each arm",
        "short",
        [{ expr: "sum by (model, mood) (aria_learning_samples)", legend: "{{model}} {{mood}}" }],
      ],
    ],
  },
  {
    title: "Accelerators",
    graphs: [
      [
        "GPU memory",
        "bytes",
        [
          {
            expr: "sum by (pool, gpu, kind) (aria_gpu_memory_bytes)",
            legend: "{{pool}} gpu{{gpu}} {{kind}}",
          },
        ],
      ],
    ],
  },
];

export function ariaDashboard() {
  const grid = new Grid();
  const dashboard = new DashboardBuilder("Aria")
    .uid("aria-overview")
    .description("Aria's generation, curation, learning and pools (metrics of aria-operator and its workers)")
    .tags(["aria"])
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .withVariable(new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"));
  for (const row of ROWS) {
    dashboard.withRow(grid.row(row.title));
    for (const [title, series] of row.stats ?? []) dashboard.withPanel(stat(grid, title, series));
    for (const [title, unit, series] of row.graphs)
      dashboard.withPanel(timeseries(grid, title, unit, series));
  }
  return dashboard.build();
}

/** The dashboard as the chart's file holds it. */
export function dashboardJson(): string {
  return `${JSON.stringify(ariaDashboard(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const want = dashboardJson();
  if (process.argv.includes("--check")) {
    const have = await readFile(DASHBOARD_FILE, "utf8").catch(() => "");
    if (have !== want) {
      console.error(`${DASHBOARD_FILE} is not what monitoring/dashboard.ts builds; run npm run generate`);
      process.exit(1);
    }
  } else {
    await writeFile(DASHBOARD_FILE, want);
    console.log(`wrote ${DASHBOARD_FILE}`);
  }
}
