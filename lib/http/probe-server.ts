// The plain-HTTP server every Aria process runs for the kubelet and Prometheus: /healthz, /readyz
// and /metrics only. No bearer token travels there, so it needs no TLS; what carries tokens is
// served on a separate HTTPS port.
import { createServer, type Server } from "node:http";
import express from "express";
import type { Registry } from "prom-client";
import { addProbeRoutes, type NotReadyReason } from "./probe-routes.ts";

export function createProbeServer(options: { registry: Registry; notReadyReason: NotReadyReason }): Server {
  const app = express();
  app.disable("x-powered-by");
  addProbeRoutes(app, options.registry, options.notReadyReason);
  return createServer(app);
}
