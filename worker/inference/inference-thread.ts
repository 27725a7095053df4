// Entry point of an inference thread: owns the ONNX sessions, so their blocking run() calls never
// stall the worker's main event loop (probes, heartbeats, watches).
import { parentPort, workerData } from "node:worker_threads";
import { SessionFactory } from "../onnx/session-factory.ts";
import { ModelRegistry } from "../pipeline/model-registry.ts";
import type { PipelineLog } from "../pipeline/pipeline-log.ts";
import { renderArtwork } from "../pipeline/render-artwork.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type { RenderRequest } from "../pipeline/render-request.ts";
import { RunMeter } from "../onnx/run-meter.ts";
import type { HostMessage, ThreadInit, ThreadMessage } from "./thread-messages.ts";

const port = parentPort!;
const init = workerData as ThreadInit;
const post = (message: ThreadMessage) => port.postMessage(message);
const log: PipelineLog = (level, msg, fields) =>
  post({ type: "log", level, msg, ...(fields ? { fields } : {}) });

const factory = new SessionFactory(init.accelerator, init.intraOpThreads, log);
const meter = new RunMeter();
const registry = new ModelRegistry(factory, meter, log);
const abortFlag = new Int32Array(init.abortFlag);

port.on("message", (message: HostMessage) => {
  switch (message.type) {
    case "render":
      void render(message.id, message.request);
      break;
    case "close":
      void registry.releaseAll().finally(() => port.close());
      break;
  }
});

await registry.loadAll(init.models, init.warmupSteps, (state) => post({ type: "state", state }));
post({
  type: "loaded",
  provider: factory.provider,
  ...(factory.providerMessage ? { providerMessage: factory.providerMessage } : {}),
});

async function render(id: number, request: RenderRequest): Promise<void> {
  const controller = new AbortController();
  try {
    const result = await renderArtwork(
      { registry, factory, meter },
      request,
      (progress) => {
        // Progress comes after every step, right before the next one: the point to stop at.
        if (Atomics.load(abortFlag, 0) === id) controller.abort();
        post({ type: "progress", id, progress });
      },
      controller.signal,
    );
    post({ type: "result", id, result });
  } catch (error) {
    const renderError =
      error instanceof RenderError
        ? error
        : new RenderError("InferenceFailed", error instanceof Error ? error.message : String(error));
    post({ type: "error", id, error: renderError.toJSON() });
  }
}
