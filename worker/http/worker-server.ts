// The worker's HTTP side: probes, Prometheus metrics and the live preview stream.
import { createServer, type Server } from "node:http";
import express from "express";
import type { Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { addProbeRoutes, type NotReadyReason } from "../../lib/http/probe-routes.ts";
import type { PreviewHub } from "./preview-hub.ts";

const STREAM_PATH = /^\/artworks\/([a-z0-9.-]+)\/([a-z0-9.-]+)\/stream$/;

export function createWorkerServer(options: {
  registry: Registry;
  hub: PreviewHub;
  /** Undefined when ready (models warm, storage writable, disk space); otherwise why not. */
  notReadyReason: NotReadyReason;
}): Server {
  const app = express();
  app.disable("x-powered-by");
  addProbeRoutes(app, options.registry, options.notReadyReason);
  const server = createServer(app);
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const match = STREAM_PATH.exec(new URL(req.url ?? "/", "http://worker").pathname);
    if (!match) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => options.hub.subscribe(`${match[1]}/${match[2]}`, ws));
  });
  return server;
}

export function listenOn(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}
