/** Columns padded as kubectl prints them: upper-case headers, three spaces apart, no borders. */
export function formatTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/** kubectl's AGE: 42s, 5m, 3h, 2d. */
export function age(timestamp: string | Date | undefined, now = Date.now()): string {
  if (timestamp === undefined) return "<unknown>";
  const seconds = Math.max(0, Math.floor((now - new Date(timestamp).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
