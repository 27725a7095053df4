// What every benchmark shares: machine facts at the top, order statistics, and the figures table
// (figure, median, spread over repeated runs, target, whether the median meets it).
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export interface Target {
  op: "≤" | "≥";
  value: number;
}

export interface Figure {
  figure: string;
  /** One value per repeated run (or per item, where the spread is over items: say so in the label). */
  samples: number[];
  unit: string;
  target?: Target;
  /** Digits after the point (default 1). */
  digits?: number;
}

export function machineFacts(extra: Record<string, string> = {}): void {
  const ort = JSON.parse(
    readFileSync(new URL("../node_modules/onnxruntime-node/package.json", import.meta.url), "utf8"),
  ) as { version: string };
  const facts: Record<string, string> = {
    CPU: `${cpus()[0]?.model ?? "unknown"} × ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    Node: `${process.version} (${process.platform}/${process.arch})`,
    onnxruntime: `onnxruntime-node ${ort.version}, CPU execution provider`,
    "load average": loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
    ...extra,
  };
  const width = Math.max(...Object.keys(facts).map((k) => k.length)) + 2;
  for (const [k, v] of Object.entries(facts)) console.log(`${`${k}:`.padEnd(width)}${v}`);
  console.log("");
}

/** Linear-interpolated percentile (numpy's default) of unsorted samples; p in 0–100. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function meets(value: number, target: Target): boolean {
  return target.op === "≤" ? value <= target.value : value >= target.value;
}

/** Prints the table; returns the figures whose median misses its target. */
export function printTable(title: string, figures: readonly Figure[]): Figure[] {
  const rows = figures.map((f) => {
    const d = f.digits ?? 1;
    const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");
    const m = median(f.samples);
    const spread =
      f.samples.length > 1 ? `${fmt(Math.min(...f.samples))}–${fmt(Math.max(...f.samples))}` : "(1 run)";
    return {
      f,
      cells: [
        f.figure,
        `${fmt(m)} ${f.unit}`.trim(),
        spread,
        f.target ? `${f.target.op} ${f.target.value} ${f.unit}`.trim() : "",
        f.target ? (meets(m, f.target) ? "yes" : "NO") : "",
      ],
      missed: f.target !== undefined && !meets(m, f.target),
    };
  });
  const header = ["figure", "median", "spread (min–max)", "target", "meets"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(title);
  console.log(line(header));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r.cells));
  console.log("");
  return rows.filter((r) => r.missed).map((r) => r.f);
}

/** Milliseconds since `start` (a performance.now() reading). */
export function since(start: number): number {
  return performance.now() - start;
}

/** The value of `--name N` on the command line, or the default. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

/** A process's resident memory in MiB, from /proc (0 once it has gone). */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}
