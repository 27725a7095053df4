import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread on a module that may be TypeScript. The project runs .ts through tsx, but a
 * loader given to the parent with `--import tsx` does not reach worker threads (nor does vitest's
 * transform), so for a .ts entry the thread first registers tsx itself, then imports the module.
 */
export function startTsWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
