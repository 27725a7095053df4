// The endpoints every Aria process serves for the kubelet and Prometheus: /healthz (the process
// is alive), /readyz (it can do its work; 503 with the reason when not) and /metrics.
import type { Express } from "express";
import type { Registry } from "prom-client";

/** Undefined when ready; otherwise why not, as the 503's body. */
export type NotReadyReason = () => Promise<string | undefined>;

export function addProbeRoutes(app: Express, registry: Registry, notReadyReason: NotReadyReason) {
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", async (_req, res) => {
    const reason = await notReadyReason();
    if (reason) res.status(503).type("text/plain").send(reason);
    else res.type("text/plain").send("ok");
  });
  app.get("/metrics", async (_req, res) => {
    res.set("Content-Type", registry.contentType).send(await registry.metrics());
  });
}
