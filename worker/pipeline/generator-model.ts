import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { RgbImage } from "../curation/rgb-image.ts";
import { createRng } from "../random/rng.ts";
import { createScheduler } from "../schedulers/create-scheduler.ts";
import type { SchedulerConfig } from "../schedulers/noise-schedule.ts";
import type { Scheduler } from "../schedulers/scheduler.ts";
import { ClipTokenizer } from "../../lib/tokenizer/clip-tokenizer.ts";
import { SCHEDULERS } from "../../crds/artwork.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { readDefaults, type GeneratorDefaults } from "./generator-defaults.ts";
import { ModelSession } from "../onnx/model-session.ts";
import { RenderError } from "./render-error.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import { floatTensor, intTensor, readFloats, timestepTensor } from "../onnx/tensor-feeds.ts";

/** Spatial downsampling of the Stable Diffusion VAE (three 2× stages); the UNet sees width/8 × height/8. */
export const VAE_SCALE = 8;

interface LatentShape {
  channels: number;
  height: number;
  width: number;
}

/** A prompt through the text encoder, kept for every candidate of one render. */
export interface PromptEmbedding {
  data: Float32Array;
  dims: number[];
  truncated: boolean;
  /** How many of the prompt's tokens did not fit the text encoder's window (0 when it fit). */
  droppedTokens: number;
}

export interface GenerateOptions {
  cond: PromptEmbedding;
  /** Negative-prompt (or empty-prompt) embedding; used only when guidanceScale > 1. */
  uncond: PromptEmbedding;
  seed: number;
  steps: number;
  guidanceScale: number;
  scheduler: string;
  width: number;
  height: number;
  /** Decode a preview every this many steps (0: none). The last step always yields the final image. */
  previewEvery: number;
  onStep: (step: number, preview: RgbImage | undefined) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * A text-to-image model in the diffusers/Optimum ONNX layout (`model_index.json`, `scheduler/`,
 * `tokenizer/`, `text_encoder/`, `unet/`, `vae_decoder/`): the built-in aria-painter and real
 * exports such as SD 1.5 or SD-Turbo.
 */
export class GeneratorModel {
  private constructor(
    readonly name: string,
    readonly defaults: GeneratorDefaults,
    private readonly schedulerConfig: SchedulerConfig,
    private readonly scalingFactor: number,
    private readonly tokenizer: ClipTokenizer,
    private readonly textEncoder: ModelSession,
    private readonly unet: ModelSession,
    private readonly vaeDecoder: ModelSession,
  ) {
    const extra = unet.session.inputNames.filter(
      (n) => !["sample", "timestep", "encoder_hidden_states"].includes(n),
    );
    if (extra.length > 0) {
      throw new RenderError(
        "UnsupportedModel",
        `${unet.label} takes inputs ${extra.join(", ")} beyond sample, timestep, encoder_hidden_states (SDXL-style UNets are not supported)`,
      );
    }
    unet.input("sample");
    unet.input("timestep");
    unet.input("encoder_hidden_states");
    textEncoder.input("input_ids");
  }

  static async load(
    name: string,
    dir: string,
    factory: SessionFactory,
    meter: RunMeter,
  ): Promise<GeneratorModel> {
    const index = await readJson(join(dir, "model_index.json"));
    const schedulerConfig = (await readJson(
      join(dir, "scheduler", "scheduler_config.json"),
    )) as SchedulerConfig;
    const vaeConfig = await readJson(join(dir, "vae_decoder", "config.json")).catch(
      ifMissing<Record<string, unknown>>({}),
    );
    const tokenizer = await ClipTokenizer.fromDir(join(dir, "tokenizer"));
    const scaling = typeof vaeConfig.scaling_factor === "number" ? vaeConfig.scaling_factor : 0.18215;
    const sessions: ModelSession[] = [];
    const open = async (component: string) => {
      const session = await factory.open(join(dir, component, "model.onnx"));
      sessions.push(new ModelSession(session, `${name}/${component}`, meter));
      return sessions.at(-1)!;
    };
    try {
      const [textEncoder, unet, vaeDecoder] = [
        await open("text_encoder"),
        await open("unet"),
        await open("vae_decoder"),
      ];
      return new GeneratorModel(
        name,
        readDefaults(index),
        schedulerConfig,
        scaling,
        tokenizer,
        textEncoder,
        unet,
        vaeDecoder,
      );
    } catch (error) {
      // Sessions already open hold native memory the garbage collector does not account for.
      await Promise.all(sessions.map((s) => s.release()));
      throw error;
    }
  }

  /** The size the UNet is fixed to, when the export has static spatial dimensions. */
  get fixedSize(): { width?: number; height?: number } {
    const [, , h, w] = this.unet.input("sample").shape;
    return {
      height: typeof h === "number" ? h * VAE_SCALE : undefined,
      width: typeof w === "number" ? w * VAE_SCALE : undefined,
    };
  }

  async encodePrompt(prompt: string): Promise<PromptEmbedding> {
    const tokens = this.tokenizer.encode(prompt);
    const meta = this.textEncoder.input("input_ids");
    const ids = intTensor(meta, tokens.inputIds, [1, tokens.inputIds.length]);
    const out = await this.textEncoder.run({ input_ids: ids });
    const hidden = out[this.textEncoder.outputName("last_hidden_state")]!;
    return {
      data: readFloats(hidden, this.textEncoder.label),
      dims: [...hidden.dims],
      truncated: tokens.truncated,
      droppedTokens: tokens.droppedTokens,
    };
  }

  /** Checks what only the model can know about a size, before any work is done. */
  checkSize(width: number, height: number): void {
    for (const [field, value] of [
      ["width", width],
      ["height", height],
    ] as const) {
      if (!Number.isInteger(value) || value < VAE_SCALE || value % VAE_SCALE !== 0) {
        throw new RenderError(
          "UnsupportedSize",
          `spec.${field}: ${value} is not a positive multiple of ${VAE_SCALE}`,
        );
      }
      const fixed = this.fixedSize[field];
      if (fixed !== undefined && fixed !== value) {
        throw new RenderError(
          "UnsupportedSize",
          `spec.${field}: ${value} is not supported by ${this.name}, which only takes ${fixed}`,
        );
      }
    }
  }

  /** Builds the sampler, turning an unknown name or a config it cannot honour into a RenderError. */
  createScheduler(name: string, steps: number): Scheduler {
    if (!(SCHEDULERS as readonly string[]).includes(name)) {
      throw new RenderError(
        "InvalidScheduler",
        `spec.scheduler: ${JSON.stringify(name)} is not one of ${SCHEDULERS.join(", ")}`,
      );
    }
    let scheduler: Scheduler;
    try {
      scheduler = createScheduler(name, this.schedulerConfig);
      scheduler.setTimesteps(steps);
    } catch (error) {
      throw new RenderError(
        "InvalidScheduler",
        `spec.scheduler: ${name} cannot run ${this.name}'s scheduler_config.json: ${(error as Error).message}`,
      );
    }
    return scheduler;
  }

  /** One candidate: seeded latents, the denoising loop with classifier-free guidance, VAE decode. */
  async generate(o: GenerateOptions): Promise<RgbImage> {
    this.checkSize(o.width, o.height);
    const scheduler = this.createScheduler(o.scheduler, o.steps);
    const sampleMeta = this.unet.input("sample");
    const shape: LatentShape = {
      channels: typeof sampleMeta.shape[1] === "number" ? sampleMeta.shape[1] : 4,
      height: o.height / VAE_SCALE,
      width: o.width / VAE_SCALE,
    };
    const size = shape.channels * shape.height * shape.width;
    const rng = createRng(o.seed);
    let latents = rng.randn(size);
    const sigma = scheduler.initNoiseSigma;
    for (let i = 0; i < size; i++) latents[i]! *= sigma;

    const guided = o.guidanceScale > 1;
    // Unconditional and conditional predictions share one batch-2 run, unless the export pins batch to 1.
    const batched = guided && sampleMeta.shape[0] !== 1;
    const textDims = o.cond.dims;
    const bothTexts = concat(o.uncond.data, o.cond.data);

    const total = scheduler.timesteps.length;
    for (let step = 0; step < total; step++) {
      if (o.signal?.aborted) throw new RenderError("Aborted", `render aborted at step ${step} of ${total}`);
      const input = scheduler.scaleModelInput(latents, step);
      const t = scheduler.timesteps[step]!;
      let noise: Float32Array;
      if (batched) {
        const out = await this.runUnet(
          concat(input, input),
          2,
          t,
          bothTexts,
          [2, ...textDims.slice(1)],
          shape,
          o,
        );
        noise = combineGuidance(out.subarray(0, size), out.subarray(size), o.guidanceScale);
      } else if (guided) {
        const uncond = await this.runUnet(input, 1, t, o.uncond.data, textDims, shape, o);
        const cond = await this.runUnet(input, 1, t, o.cond.data, textDims, shape, o);
        noise = combineGuidance(uncond, cond, o.guidanceScale);
      } else {
        noise = await this.runUnet(input, 1, t, o.cond.data, textDims, shape, o);
      }
      const result = scheduler.step(noise, step, latents, rng);
      latents = result.prevSample;
      const last = step === total - 1;
      if (last) {
        const image = await this.decode(latents, shape, o);
        await o.onStep(step + 1, o.previewEvery > 0 ? image : undefined);
        return image;
      }
      const preview =
        o.previewEvery > 0 && (step + 1) % o.previewEvery === 0
          ? await this.decode(result.predOriginal, shape, o)
          : undefined;
      await o.onStep(step + 1, preview);
    }
    throw new RenderError("InvalidParameter", `spec.steps: ${o.steps} gives no denoising steps`);
  }

  private async runUnet(
    sample: Float32Array,
    batch: number,
    timestep: number,
    text: Float32Array,
    textDims: readonly number[],
    shape: LatentShape,
    o: GenerateOptions,
  ): Promise<Float32Array> {
    const feeds = {
      sample: floatTensor(this.unet.input("sample"), sample, [
        batch,
        shape.channels,
        shape.height,
        shape.width,
      ]),
      timestep: timestepTensor(this.unet.input("timestep"), timestep, batch),
      encoder_hidden_states: floatTensor(this.unet.input("encoder_hidden_states"), text, textDims),
    };
    const out = await this.runChecked(this.unet, feeds, o);
    return readFloats(out[this.unet.outputName("out_sample")], this.unet.label);
  }

  /** Latents → RGB: divide by the VAE scaling factor, decode, map (−1, 1) to 0–255 as diffusers does. */
  private async decode(latents: Float32Array, shape: LatentShape, o: GenerateOptions): Promise<RgbImage> {
    const scaled = latents.map((x) => x / this.scalingFactor);
    const inputName = this.vaeDecoder.session.inputNames[0]!;
    const feeds = {
      [inputName]: floatTensor(this.vaeDecoder.input(inputName), scaled, [
        1,
        shape.channels,
        shape.height,
        shape.width,
      ]),
    };
    const out = await this.runChecked(this.vaeDecoder, feeds, o);
    const tensor = out[this.vaeDecoder.outputName("sample")];
    const pixels = readFloats(tensor, this.vaeDecoder.label);
    const [, , height, width] = tensor!.dims as [number, number, number, number];
    const plane = width * height;
    const data = new Uint8Array(plane * 3);
    // A clamped view clamps to 0–255 and rounds half to even, as numpy's round() in diffusers does,
    // in one store instead of three Math calls per subpixel.
    const clamped = new Uint8ClampedArray(data.buffer);
    for (let c = 0; c < 3; c++) {
      const source = pixels.subarray(c * plane, (c + 1) * plane);
      for (let i = 0, o = c; i < plane; i++, o += 3) clamped[o] = source[i]! * 127.5 + 127.5;
    }
    return { width, height, data };
  }

  /** ONNX failures become RenderErrors; a shape complaint means the model rejected the requested size. */
  private async runChecked(
    session: ModelSession,
    feeds: Parameters<ModelSession["run"]>[0],
    o: GenerateOptions,
  ): Promise<Awaited<ReturnType<ModelSession["run"]>>> {
    try {
      return await session.run(feeds);
    } catch (error) {
      const message = (error as Error).message.split("\n")[0]!;
      if (/dimension|shape/i.test(message)) {
        throw new RenderError(
          "UnsupportedSize",
          `spec.width/spec.height: ${o.width}×${o.height} was rejected by ${session.label}: ${message}`,
        );
      }
      throw new RenderError("InferenceFailed", `${session.label} failed: ${message}`);
    }
  }

  async release(): Promise<void> {
    await Promise.all([this.textEncoder.release(), this.unet.release(), this.vaeDecoder.release()]);
  }
}

/** ε = ε_uncond + g · (ε_cond − ε_uncond). */
function combineGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(uncond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i]! + scale * (cond[i]! - uncond[i]!);
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

/** Optional config files (some exports omit vae_decoder/config.json) fall back; a broken one still fails. */
function ifMissing<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw error;
  };
}
