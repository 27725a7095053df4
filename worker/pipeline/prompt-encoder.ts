import { join } from "node:path";
import type { LongPrompt } from "../../crds/artwork.ts";
import { ClipTokenizer, type TokenizedPrompt } from "../../lib/tokenizer/clip-tokenizer.ts";
import { ModelSession } from "../onnx/model-session.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { intTensor, readFloats } from "../onnx/tensor-feeds.ts";
import type { GeneratorFolder } from "./generator-folder.ts";
import { RenderError } from "./render-error.ts";

/** A prompt through the text encoder(s), kept for every candidate of one render. */
export interface PromptEmbedding {
  /** What the UNet cross-attends to: [1, tokens, width]. */
  data: Float32Array;
  dims: number[];
  /** SDXL: the pooled embedding of the last text encoder, [1, projection] (`text_embeds`). */
  pooled?: Float32Array;
  truncated: boolean;
  /** How many of the prompt's tokens did not fit the text encoder's window (0 when it fit). */
  droppedTokens: number;
}

interface Encoder {
  tokenizer: ClipTokenizer;
  session: ModelSession;
  /** The hidden states this pipeline takes from this encoder. */
  hiddenOutput: string;
  /** The encoder's pooled projection, when the pipeline uses it (SDXL's `text_embeds`). */
  pooledOutput?: string;
}

/**
 * The text side of a pipeline, as diffusers encodes prompts: Stable Diffusion 1.x/2.x and LCM take
 * the one encoder's last hidden state; SDXL takes each encoder's penultimate hidden state side by
 * side and the second encoder's pooled `text_embeds`.
 */
export class PromptEncoder {
  private constructor(private readonly encoders: Encoder[]) {}

  static async open(
    folder: GeneratorFolder,
    factory: SessionFactory,
    meter: RunMeter,
    opened: ModelSession[],
  ): Promise<PromptEncoder> {
    const encoders: Encoder[] = [];
    for (const { component, tokenizerDir } of folder.textEncoders) {
      const tokenizer = await ClipTokenizer.fromDir(tokenizerDir);
      const session = new ModelSession(
        await factory.open(join(folder.dir, component, "model.onnx")),
        `${folder.name}/${component}`,
        meter,
      );
      opened.push(session);
      session.input("input_ids");
      encoders.push(
        folder.pipeline === "stable-diffusion-xl"
          ? { tokenizer, session, hiddenOutput: penultimate(session), pooledOutput: pooled(session) }
          : { tokenizer, session, hiddenOutput: session.outputName("last_hidden_state") },
      );
    }
    const last = encoders.at(-1)!;
    if (folder.pipeline === "stable-diffusion-xl" && last.pooledOutput === undefined) {
      throw new RenderError(
        "UnsupportedModel",
        `${last.session.label} has no pooled text_embeds output (outputs: ${last.session.session.outputNames.join(", ")}); SDXL's second text encoder is a CLIPTextModelWithProjection`,
      );
    }
    // Only the last encoder's pooled embedding is used, as in diffusers.
    for (const e of encoders.slice(0, -1)) delete e.pooledOutput;
    return new PromptEncoder(encoders);
  }

  /** Tokens in one window of the (first) encoder, start and end included. */
  get contextLength(): number {
    return this.encoders[0]!.tokenizer.contextLength;
  }

  /**
   * Encodes `prompt`: truncated to one window, or (Chunk) in as many windows as it needs, each
   * encoded alone and concatenated along the tokens; `windows` pads the chunked encoding to at least
   * that many (a negative prompt must match its prompt's length).
   */
  async encode(prompt: string, mode: LongPrompt = "Truncate", windows = 1): Promise<PromptEmbedding> {
    const perEncoder: Array<{ hidden: Float32Array[]; width: number; pooled?: Float32Array }> = [];
    let truncated = false;
    let droppedTokens = 0;
    for (const encoder of this.encoders) {
      let tokenized: TokenizedPrompt[];
      if (mode === "Chunk") {
        tokenized = encoder.tokenizer.encodeWindows(prompt);
        while (tokenized.length < windows) tokenized.push(encoder.tokenizer.encode(""));
      } else {
        const one = encoder.tokenizer.encode(prompt);
        truncated ||= one.truncated;
        droppedTokens = Math.max(droppedTokens, one.droppedTokens);
        tokenized = [one];
      }
      const hidden: Float32Array[] = [];
      let width = 0;
      let pooledEmbedding: Float32Array | undefined;
      for (const [i, tokens] of tokenized.entries()) {
        const out = await this.run(encoder, tokens);
        const states = out[encoder.hiddenOutput];
        hidden.push(readFloats(states, encoder.session.label));
        width = states!.dims[2]!;
        if (i === 0 && encoder.pooledOutput && mode === "Truncate") {
          pooledEmbedding = readFloats(out[encoder.pooledOutput], encoder.session.label);
        }
      }
      // A chunked SDXL prompt pools its first 75 tokens, as compel does (not its first window,
      // which may end earlier at a phrase).
      if (encoder.pooledOutput && mode === "Chunk") {
        const out = await this.run(encoder, encoder.tokenizer.encode(prompt));
        pooledEmbedding = readFloats(out[encoder.pooledOutput], encoder.session.label);
      }
      perEncoder.push({ hidden, width, ...(pooledEmbedding ? { pooled: pooledEmbedding } : {}) });
    }
    const windowsUsed = perEncoder[0]!.hidden.length;
    const tokens = windowsUsed * this.contextLength;
    const width = perEncoder.reduce((sum, e) => sum + e.width, 0);
    // [windows × 77, Σ widths]: each token's hidden states of every encoder side by side.
    const data = new Float32Array(tokens * width);
    let offset = 0;
    for (const e of perEncoder) {
      for (let w = 0; w < windowsUsed; w++) {
        const block = e.hidden[w]!;
        for (let t = 0; t < this.contextLength; t++) {
          data.set(
            block.subarray(t * e.width, (t + 1) * e.width),
            (w * this.contextLength + t) * width + offset,
          );
        }
      }
      offset += e.width;
    }
    const pooledEmbedding = perEncoder.at(-1)!.pooled;
    return {
      data,
      dims: [1, tokens, width],
      ...(pooledEmbedding ? { pooled: pooledEmbedding } : {}),
      truncated,
      droppedTokens,
    };
  }

  /** Windows a chunked encoding of `prompt` takes. */
  windowsOf(prompt: string): number {
    return this.encoders[0]!.tokenizer.encodeWindows(prompt).length;
  }

  private async run(encoder: Encoder, tokens: TokenizedPrompt) {
    const dims = [1, tokens.inputIds.length];
    const feeds = {
      input_ids: intTensor(encoder.session.input("input_ids"), tokens.inputIds, dims),
      // Exports made with use_attention_mask take the mask; diffusers' SD pipelines pass it then.
      ...(encoder.session.hasInput("attention_mask")
        ? { attention_mask: intTensor(encoder.session.input("attention_mask"), tokens.attentionMask, dims) }
        : {}),
    };
    try {
      return await encoder.session.run(feeds);
    } catch (error) {
      throw new RenderError(
        "InferenceFailed",
        `${encoder.session.label} failed: ${(error as Error).message.split("\n")[0]}`,
      );
    }
  }

  release(): Promise<void[]> {
    return Promise.all(this.encoders.map((e) => e.session.release()));
  }
}

/** Zero embeddings shaped like `like`: SDXL's negative conditioning when no negative prompt is given. */
export function zeroEmbedding(like: PromptEmbedding): PromptEmbedding {
  return {
    data: new Float32Array(like.data.length),
    dims: like.dims,
    ...(like.pooled ? { pooled: new Float32Array(like.pooled.length) } : {}),
    truncated: false,
    droppedTokens: 0,
  };
}

/**
 * The penultimate of an encoder's `hidden_states.N` outputs (Optimum exports one per layer plus the
 * embeddings): diffusers' `hidden_states[-2]`, the layer before the last.
 */
function penultimate(session: ModelSession): string {
  const layers = session.session.outputNames
    .map((n) => /^hidden_states\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (layers.length < 2) {
    throw new RenderError(
      "UnsupportedModel",
      `${session.label} has no hidden_states.N outputs (outputs: ${session.session.outputNames.join(", ")}); SDXL takes each text encoder's penultimate hidden states, so export it with output_hidden_states (Optimum does for SDXL)`,
    );
  }
  return `hidden_states.${layers.at(-2)!}`;
}

function pooled(session: ModelSession): string | undefined {
  return session.session.outputNames.includes("text_embeds") ? "text_embeds" : undefined;
}
