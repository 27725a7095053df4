import type { Accelerator } from "../onnx/session-factory.ts";
import type { RenderErrorReason } from "../pipeline/render-error.ts";
import type {
  ModelSpec,
  ModelState,
  RenderProgress,
  RenderRequest,
  RenderResult,
} from "../pipeline/render-request.ts";

/** What the host passes to each inference thread as workerData. */
export interface ThreadInit {
  models: ModelSpec[];
  accelerator: Accelerator;
  intraOpThreads: number;
  warmupSteps: number;
  /**
   * One Int32 the host sets to the id of a render to cancel. Shared memory rather than a message,
   * because the thread checks it after every step without waiting for its event loop to deliver one.
   */
  abortFlag: SharedArrayBuffer;
}

/** Cancelling a render goes through ThreadInit.abortFlag, not a message. */
export type HostMessage = { type: "render"; id: number; request: RenderRequest } | { type: "close" };

export type ThreadMessage =
  | { type: "state"; state: ModelState }
  | { type: "loaded"; provider: Accelerator; providerMessage?: string }
  | { type: "progress"; id: number; progress: RenderProgress }
  | { type: "result"; id: number; result: RenderResult }
  | { type: "error"; id: number; error: { reason: RenderErrorReason; message: string } }
  | { type: "log"; level: "info" | "warn" | "error"; msg: string; fields?: Record<string, unknown> };
