/**
 * How pipeline code reports events: a plain callback, because the pipeline runs inside an inference
 * thread where the host's pino logger cannot be passed; the thread forwards each call to the host.
 */
export type PipelineLog = (
  level: "info" | "warn" | "error",
  msg: string,
  fields?: Record<string, unknown>,
) => void;
