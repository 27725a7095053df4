// The operator's HTTP endpoints: probes, Prometheus metrics and the feedback API.
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Registry } from "prom-client";
import type { Logger } from "../../lib/observability/logger.ts";

export interface Readiness {
  /** Undefined when ready; otherwise why not. */
  notReadyReason(): Promise<string | undefined>;
}

export function createHttpServer(options: {
  registry: Registry;
  readiness: Readiness;
  log: Logger;
  api?: express.Router;
}) {
  const app = express();
  app.disable("x-powered-by");
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", async (_req, res) => {
    const reason = await options.readiness.notReadyReason();
    if (reason) res.status(503).type("text/plain").send(reason);
    else res.type("text/plain").send("ok");
  });
  app.get("/metrics", async (_req, res) => {
    res.set("Content-Type", options.registry.contentType).send(await options.registry.metrics());
  });
  if (options.api) app.use("/api", options.api);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: "not found" });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    options.log.error({ err: String(err) }, "request failed");
    res.status(500).json({ error: "internal error" });
  });
  return app;
}

export function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.on("error", reject);
  });
}
