// The operator's HTTP endpoints: probes, Prometheus metrics and the feedback API.
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Registry } from "prom-client";
import { addProbeRoutes, type NotReadyReason } from "../../lib/http/probe-routes.ts";
import type { Logger } from "../../lib/observability/logger.ts";

export function createHttpServer(options: {
  registry: Registry;
  notReadyReason: NotReadyReason;
  log: Logger;
  api?: express.Router;
}) {
  const app = express();
  app.disable("x-powered-by");
  addProbeRoutes(app, options.registry, options.notReadyReason);
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
