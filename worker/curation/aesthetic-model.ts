import { join } from "node:path";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { ModelSession } from "../onnx/model-session.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import { floatTensor, readFloats } from "../onnx/tensor-feeds.ts";

/** A LAION-style aesthetic predictor: CLIP image embeddings [N, D] → score [N, 1] on 1–10. */
export class AestheticModel {
  private constructor(
    readonly name: string,
    private readonly session: ModelSession,
    private readonly inputName: string,
  ) {}

  static async load(
    name: string,
    dir: string,
    factory: SessionFactory,
    meter: RunMeter,
  ): Promise<AestheticModel> {
    const session = new ModelSession(await factory.open(join(dir, "model.onnx")), name, meter);
    return new AestheticModel(name, session, session.session.inputNames[0]!);
  }

  /** The embedding width the predictor was trained on, when the export fixes it. */
  get embeddingDim(): number | undefined {
    const dim = this.session.input(this.inputName).shape[1];
    return typeof dim === "number" ? dim : undefined;
  }

  /** All embeddings in one run, or one run each. */
  async score(embeds: readonly Float32Array[], mode: "batched" | "one-by-one"): Promise<number[]> {
    if (mode === "batched") return this.run(embeds);
    const scores: number[] = [];
    for (const embed of embeds) scores.push(...(await this.run([embed])));
    return scores;
  }

  private async run(embeds: readonly Float32Array[]): Promise<number[]> {
    const dim = embeds[0]?.length ?? 0;
    const expected = this.embeddingDim;
    if (expected !== undefined && expected !== dim) {
      throw new RenderError(
        "UnsupportedModel",
        `${this.name} takes ${expected}-wide CLIP embeddings but the CLIP model gives ${dim}; pair it with the CLIP it was trained on`,
      );
    }
    const data = new Float32Array(embeds.length * dim);
    embeds.forEach((e, i) => data.set(e, i * dim));
    const meta = this.session.input(this.inputName);
    let out;
    try {
      out = await this.session.run({ [this.inputName]: floatTensor(meta, data, [embeds.length, dim]) });
    } catch (error) {
      throw new RenderError(
        "InferenceFailed",
        `${this.name} failed: ${(error as Error).message.split("\n")[0]}`,
      );
    }
    const scores = readFloats(out[this.session.outputName("score")], this.name);
    return Array.from(scores.subarray(0, embeds.length));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
