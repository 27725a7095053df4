import type * as ort from "onnxruntime-node";
import { RenderError } from "../pipeline/render-error.ts";
import type { RunMeter } from "./run-meter.ts";

export type TensorMetadata = ort.InferenceSession.ValueMetadata & { isTensor: true };

/** An InferenceSession with its input metadata looked up by name and every run() timed. */
export class ModelSession {
  constructor(
    readonly session: ort.InferenceSession,
    /** `model/component`, used in messages and run accounting. */
    readonly label: string,
    private readonly meter: RunMeter,
  ) {}

  hasInput(name: string): boolean {
    return this.session.inputNames.includes(name);
  }

  input(name: string): TensorMetadata {
    const index = this.session.inputNames.indexOf(name);
    const meta = this.session.inputMetadata[index];
    if (index < 0 || !meta) {
      throw new RenderError(
        "UnsupportedModel",
        `${this.label} has no input ${JSON.stringify(name)} (inputs: ${this.session.inputNames.join(", ")})`,
      );
    }
    if (!meta.isTensor)
      throw new RenderError("UnsupportedModel", `${this.label} input ${name} is not a tensor`);
    return meta;
  }

  /** The named output if the export has it, else the first one (exporters name outputs differently). */
  outputName(preferred: string): string {
    return this.session.outputNames.includes(preferred) ? preferred : this.session.outputNames[0]!;
  }

  async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const start = performance.now();
    try {
      return await this.session.run(feeds);
    } finally {
      this.meter.record(this.label, (performance.now() - start) / 1000);
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
