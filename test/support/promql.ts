// PromQL checked by Prometheus' own parser (github.com/prometheus/prometheus/promql/parser):
// test/support/promql-check built once into Aria's cache and fed expressions as JSON.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ensureGoProgram } from "../../tools/go-tool.ts";

export interface Query {
  name: string;
  expr: string;
}

/** The parser's error for each expression it rejects ("name: error"); none when all parse. */
export async function promqlErrors(queries: Query[]): Promise<string[]> {
  const exe = await ensureGoProgram("promql-check", join(import.meta.dirname, "promql-check"));
  return new Promise((resolve, reject) => {
    const child = execFile(exe, (err, stdout, stderr) => {
      if (err && err.code !== 1) return reject(new Error(`promql-check: ${stderr || err.message}`));
      resolve(stdout.split("\n").filter(Boolean));
    });
    child.stdin?.end(JSON.stringify(queries));
  });
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
