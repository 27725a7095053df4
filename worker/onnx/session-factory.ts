import { cpus } from "node:os";
import * as ort from "onnxruntime-node";
import type { PipelineLog } from "../pipeline/pipeline-log.ts";

export type Accelerator = "cpu" | "cuda";

/** Opens ONNX sessions on one execution provider, falling back from CUDA to CPU once, for every session. */
export class SessionFactory {
  private cudaFailure: string | undefined;

  /**
   * @param intraOpThreads threads one run may use; a worker with several render slots divides the
   *   cores between them, because oversubscribed ONNX thread pools run slower than queued renders.
   */
  constructor(
    readonly accelerator: Accelerator,
    readonly intraOpThreads: number = Math.max(1, cpus().length),
    private readonly log: PipelineLog = () => {},
  ) {}

  /** The provider sessions actually run on. */
  get provider(): Accelerator {
    return this.accelerator === "cuda" && this.cudaFailure === undefined ? "cuda" : "cpu";
  }

  /** Why the provider differs from the requested accelerator; undefined when it does not. */
  get providerMessage(): string | undefined {
    return this.cudaFailure === undefined
      ? undefined
      : `CUDA execution provider unavailable (${this.cudaFailure}); running on CPU`;
  }

  /** Opens a model file, or a model already in memory (such as a graph upcast at load). */
  async open(model: string | Uint8Array): Promise<ort.InferenceSession> {
    const options: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: "all",
      intraOpNumThreads: this.intraOpThreads,
      // The pipeline's graphs are chains with no parallel branches worth a second pool.
      interOpNumThreads: 1,
      executionMode: "sequential",
      // The memory pattern plans one block for every intermediate a run's shapes need and keeps it;
      // for a UNet's attention that doubled peak RSS (4.8 → 2.5 GiB at 512², bench/model-families.ts)
      // and ran 9 % slower than the arena allocating as it goes.
      enableMemPattern: false,
      // Spinning pool threads busy-wait between runs and starve libvips, the main thread and the other
      // pool on small machines: on 2 cores turning it off made renders 2–3× faster and kept the event
      // loop's worst stall near 10 ms instead of 50–175 ms.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    };
    if (this.provider === "cuda") {
      try {
        return await create(model, { ...options, executionProviders: ["cuda"] });
      } catch (error) {
        // onnxruntime-node throws when libonnxruntime_providers_cuda or the driver is missing; CPU still works.
        this.cudaFailure = firstLine(error);
        this.log("warn", "execution provider fell back from cuda to cpu", { reason: this.cudaFailure });
      }
    }
    return create(model, { ...options, executionProviders: ["cpu"] });
  }
}

function create(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) {
  return typeof model === "string"
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
