// PromQL checked by Prometheus itself (github.com/prometheus/prometheus): test/support/promql-check,
// built once into Aria's cache, parses each expression with Prometheus' parser and, given scrapes of
// /metrics, evaluates it with Prometheus' engine over those samples.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ensureGoProgram } from "../../tools/go-tool.ts";

export interface Query {
  name: string;
  expr: string;
}

/** One scrape of a /metrics endpoint (the text exposition format) and when it was taken. */
export interface Scrape {
  /** The target's instance label (Prometheus adds it), keeping two targets' series apart. */
  instance: string;
  atMs: number;
  text: string;
}

export interface Evaluation {
  name: string;
  /** The parser's or the engine's error. */
  error?: string;
  /** Series in the result of an instant query at the last scrape's time (0 without scrapes). */
  series: number;
}

/** Each expression parsed, and evaluated over `scrapes` when there are any. */
export async function evaluatePromql(queries: Query[], scrapes: Scrape[] = []): Promise<Evaluation[]> {
  const exe = await ensureGoProgram("promql-check", join(import.meta.dirname, "promql-check"));
  return new Promise((resolve, reject) => {
    const child = execFile(exe, { maxBuffer: 2 ** 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`promql-check: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as Evaluation[]);
    });
    child.stdin?.end(JSON.stringify({ queries, scrapes }));
  });
}

/** The parser's error for each expression it rejects ("name: error"); none when all parse. */
export async function promqlErrors(queries: Query[]): Promise<string[]> {
  return (await evaluatePromql(queries)).flatMap((e) => (e.error ? [`${e.name}: ${e.error}`] : []));
}

/** The metric names an expression selects (identifiers that are not functions, keywords or labels). */
export function metricNames(expr: string): string[] {
  const names = expr
    .replace(/\{[^}]*\}/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/"[^"]*"/g, "")
    .match(/\baria_[a-z0-9_]+\b/g);
  return [...new Set(names ?? [])];
}
