// One JSON line per event on stdout, so kubectl logs and log shippers read it without parsing prose.
import { pino, type Level, type Logger } from "pino";

export type { Logger };

export function createLogger(name: string, level?: Level): Logger {
  return pino({
    name,
    level: level ?? process.env.LOG_LEVEL ?? "info",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
