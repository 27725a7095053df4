import { join } from "node:path";
import type { RgbImage } from "../curation/rgb-image.ts";
import { createRng, type Rng } from "../random/rng.ts";
import { createScheduler } from "../schedulers/create-scheduler.ts";
import type { Scheduler } from "../schedulers/scheduler.ts";
import { SCHEDULERS, type LongPrompt } from "../../crds/artwork.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { candidatesPerRun, rowBytes, type Batching } from "./batch-budget.ts";
import { defaultsOf, type GeneratorDefaults } from "./generator-defaults.ts";
import { readGeneratorFolder, type GeneratorFolder, type GeneratorStage } from "./generator-folder.ts";
import { guidanceEmbedding } from "./guidance-embedding.ts";
import { LatentDecoder, type LatentShape } from "./latent-decoder.ts";
import { ModelSession } from "../onnx/model-session.ts";
import { PromptEncoder, zeroEmbedding, type PromptEmbedding } from "./prompt-encoder.ts";
import { RenderError } from "./render-error.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import { floatTensor, readFloats, timestepTensor } from "../onnx/tensor-feeds.ts";
import type * as ort from "onnxruntime-node";

export type { PromptEmbedding } from "./prompt-encoder.ts";

export interface GenerateOptions {
  cond: PromptEmbedding;
  /** Negative-prompt conditioning (see negativeEmbedding); used only when the render is guided. */
  uncond: PromptEmbedding;
  /**
   * One candidate per seed, denoised together: each UNet run takes them all (and their
   * unconditional twins) as one batch, as diffusers' num_images_per_prompt does. Each keeps its own
   * random stream, so its image is the one a batch of one gives.
   */
  seeds: number[];
  steps: number;
  guidanceScale: number;
  scheduler: string;
  width: number;
  height: number;
  /** Decode a preview every this many steps (0: none). The last step always yields the final images. */
  previewEvery: number;
  /** After each step; the preview is of the first candidate of the batch. */
  onStep: (step: number, preview: RgbImage | undefined) => void | Promise<void>;
  /** An SDXL refiner that denoises the low-noise end of the schedule from this model's latents. */
  refiner?: RefinerStage;
  signal?: AbortSignal;
}

export interface RefinerStage {
  /** A model loaded with stage "refiner". */
  model: GeneratorModel;
  /** Share of the schedule this model denoises first (diffusers' denoising_end / denoising_start). */
  switchAt: number;
  /** The prompt and negative prompt through the refiner's own text encoder. */
  cond: PromptEmbedding;
  uncond: PromptEmbedding;
}

/** What SDXL's UNet takes beside the text: the pooled embedding and the six size/crop numbers. */
const TIME_IDS = 6;
/** The refiner's: original size, crop and the aesthetic score. */
const AESTHETIC_TIME_IDS = 5;
/** diffusers' StableDiffusionXLImg2ImgPipeline defaults for aesthetic_score and negative_aesthetic_score. */
const AESTHETIC_SCORE = 6;
const NEGATIVE_AESTHETIC_SCORE = 2.5;

/** Latents in flight between denoising stages. */
interface DenoiseState {
  latents: Float32Array[];
  /** Each candidate's predicted clean latent after the last step run. */
  denoised: Float32Array[];
}

/**
 * A text-to-image model in the diffusers/Optimum ONNX layout, found by what is in its folder:
 * Stable Diffusion 1.x and 2.x (ε- or v-prediction), SD-Turbo, SDXL and SDXL-Turbo (two text
 * encoders, added text/time conditioning), and Latent Consistency Models (guidance embedding);
 * the built-in aria-painter has the SD 1.x interface.
 */
export class GeneratorModel {
  readonly defaults: GeneratorDefaults;

  private constructor(
    readonly name: string,
    readonly folder: GeneratorFolder,
    private readonly text: PromptEncoder,
    private readonly unet: ModelSession,
    private readonly decoder: LatentDecoder,
  ) {
    this.defaults = defaultsOf(folder);
    const expected = ["sample", "timestep", "encoder_hidden_states"];
    if (folder.unet.textTime) expected.push("text_embeds", "time_ids");
    if (unet.hasInput("timestep_cond")) expected.push("timestep_cond");
    const extra = unet.session.inputNames.filter((n) => !expected.includes(n));
    if (extra.length > 0) {
      throw new RenderError(
        "UnsupportedModel",
        `${unet.label} takes inputs ${extra.join(", ")} beyond ${expected.join(", ")}: not a text-to-image UNet this worker drives`,
      );
    }
    for (const input of expected) unet.input(input);
    if (folder.unet.textTime) {
      const [, ids] = unet.input("time_ids").shape;
      if (typeof ids === "number" && ids !== this.timeIdCount) {
        throw new RenderError(
          "UnsupportedModel",
          folder.unet.aestheticScore
            ? `${unet.label} takes ${ids} time_ids, but model_index.json sets requires_aesthetics_score, whose UNet takes ${AESTHETIC_TIME_IDS} (original size, crop, aesthetic score)`
            : `${unet.label} takes ${ids} time_ids; a text-to-image SDXL UNet takes ${TIME_IDS} (original size, crop, target size)`,
        );
      }
    }
  }

  static async load(
    name: string,
    dir: string,
    factory: SessionFactory,
    meter: RunMeter,
    stage: GeneratorStage = "generator",
  ): Promise<GeneratorModel> {
    const folder = await readGeneratorFolder(name, dir, stage);
    const sessions: ModelSession[] = [];
    try {
      const text = await PromptEncoder.open(folder, factory, meter, sessions);
      const unet = new ModelSession(
        await factory.open(join(dir, "unet", "model.onnx")),
        `${name}/unet`,
        meter,
      );
      sessions.push(unet);
      const decoder = await LatentDecoder.open(folder, factory, meter);
      sessions.push(decoder.session);
      return new GeneratorModel(name, folder, text, unet, decoder);
    } catch (error) {
      // Sessions already open hold native memory the garbage collector does not account for.
      await Promise.all(sessions.map((s) => s.release()));
      throw error;
    }
  }

  private get timeIdCount(): number {
    return this.folder.unet.aestheticScore ? AESTHETIC_TIME_IDS : TIME_IDS;
  }

  /**
   * Why this model cannot hand its latents to `refiner`, or undefined when it can: the refiner
   * continues SDXL latents of the same shape.
   */
  refinerMismatch(refiner: GeneratorModel): string | undefined {
    if (this.folder.pipeline !== "stable-diffusion-xl")
      return `${this.name} is a ${this.folder.pipeline} model; a refiner continues an SDXL generator's latents`;
    const a = this.folder.vae;
    const b = refiner.folder.vae;
    if (a.latentChannels !== b.latentChannels || a.scaleFactor !== b.scaleFactor)
      return `${this.name}'s latents (${a.latentChannels} channels, 1/${a.scaleFactor} scale) are not ${refiner.name}'s (${b.latentChannels}, 1/${b.scaleFactor})`;
    return undefined;
  }

  /** The size the UNet is fixed to, when the export has static spatial dimensions. */
  get fixedSize(): { width?: number; height?: number } {
    const [, , h, w] = this.unet.input("sample").shape;
    const scale = this.folder.vae.scaleFactor;
    return {
      height: typeof h === "number" ? h * scale : undefined,
      width: typeof w === "number" ? w * scale : undefined,
    };
  }

  /** The largest UNet batch the export accepts; undefined when its batch dimension is dynamic. */
  get fixedBatch(): number | undefined {
    const [batch] = this.unet.input("sample").shape;
    return typeof batch === "number" ? batch : undefined;
  }

  /** Candidates of this size and guidance that go through the UNet together, within the pool's batching. */
  candidatesPerRun(
    batching: Batching | undefined,
    width: number,
    height: number,
    guidanceScale: number,
  ): number {
    // A fixed batch dimension holds one candidate's rows at most.
    if (this.fixedBatch !== undefined) return 1;
    const scale = this.folder.vae.scaleFactor;
    const row = rowBytes(this.folder.unet.attention, width / scale, height / scale);
    return candidatesPerRun(batching, row * (this.guided(guidanceScale) ? 2 : 1));
  }

  /** Whether a render at this guidance scale runs the unconditional prediction too (classifier-free guidance). */
  guided(guidanceScale: number): boolean {
    // Guidance-distilled UNets take the scale as an embedding instead, as diffusers' pipelines do.
    return (
      guidanceScale > 1 &&
      this.folder.pipeline !== "latent-consistency" &&
      !this.unet.hasInput("timestep_cond")
    );
  }

  async encodePrompt(prompt: string, mode: LongPrompt = "Truncate", windows = 1): Promise<PromptEmbedding> {
    const embedding = await this.text.encode(prompt, mode, windows);
    const [, tokens] = this.unet.input("encoder_hidden_states").shape;
    if (typeof tokens === "number" && tokens !== embedding.dims[1]) {
      throw new RenderError(
        "InvalidParameter",
        `spec.longPrompt: Chunk needs ${embedding.dims[1]} tokens here, but ${this.unet.label} was exported for exactly ${tokens}; use Truncate or export the UNet with a dynamic sequence_length`,
      );
    }
    return embedding;
  }

  /**
   * The unconditional side of guidance, as diffusers builds it: the negative prompt's embedding, or
   * with none given, zeros where the model asks (SDXL's force_zeros_for_empty_prompt) and the
   * embedding of "" elsewhere, padded to the prompt's windows.
   */
  async negativeEmbedding(
    cond: PromptEmbedding,
    negativePrompt: string | undefined,
    mode: LongPrompt,
  ): Promise<PromptEmbedding> {
    if (!negativePrompt && this.folder.forceZerosForEmptyPrompt) return zeroEmbedding(cond);
    const windows = cond.dims[1]! / this.text.contextLength;
    const uncond = await this.encodePrompt(negativePrompt ?? "", mode, windows);
    if (uncond.dims[1] !== cond.dims[1]) {
      throw new RenderError(
        "InvalidParameter",
        `spec.negativePrompt takes ${uncond.dims[1]! / this.text.contextLength} windows of ${this.text.contextLength} tokens and spec.prompt ${windows}; with longPrompt Chunk the negative prompt may be at most as long as the prompt`,
      );
    }
    return uncond;
  }

  /** Checks what only the model can know about a size, before any work is done. */
  checkSize(width: number, height: number): void {
    const scale = this.folder.vae.scaleFactor;
    for (const [field, value] of [
      ["width", width],
      ["height", height],
    ] as const) {
      if (!Number.isInteger(value) || value < scale || value % scale !== 0) {
        throw new RenderError(
          "UnsupportedSize",
          `spec.${field}: ${value} is not a positive multiple of ${scale}`,
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
    if (this.folder.pipeline === "latent-consistency" && name !== "lcm") {
      throw new RenderError(
        "InvalidScheduler",
        `spec.scheduler: ${name} cannot drive ${this.name}, a Latent Consistency Model; its pipeline takes lcm`,
      );
    }
    let scheduler: Scheduler;
    try {
      scheduler = createScheduler(name, this.folder.scheduler);
      scheduler.setTimesteps(steps);
    } catch (error) {
      throw new RenderError(
        "InvalidScheduler",
        `spec.scheduler: ${name} cannot run ${this.name}'s scheduler_config.json: ${(error as Error).message}`,
      );
    }
    return scheduler;
  }

  /**
   * Candidates of seeded latents through the denoising loop (batched, guided), then the VAE; with a
   * refiner, this model denoises the high-noise steps and the refiner the rest, then decodes.
   */
  async generate(o: GenerateOptions): Promise<RgbImage[]> {
    this.checkSize(o.width, o.height);
    const scheduler = this.createScheduler(o.scheduler, o.steps);
    const sampleMeta = this.unet.input("sample");
    const scale = this.folder.vae.scaleFactor;
    const shape: LatentShape = {
      channels:
        typeof sampleMeta.shape[1] === "number" ? sampleMeta.shape[1] : this.folder.vae.latentChannels,
      height: o.height / scale,
      width: o.width / scale,
    };
    const size = shape.channels * shape.height * shape.width;
    const rngs: Rng[] = o.seeds.map((seed) => createRng(seed));
    const sigma = scheduler.initNoiseSigma;
    const latents = rngs.map((rng) => {
      const x = rng.randn(size);
      for (let i = 0; i < size; i++) x[i]! *= sigma;
      return x;
    });

    const total = scheduler.timesteps.length;
    let state: DenoiseState = { latents, denoised: latents };
    if (!o.refiner) {
      state = await this.denoise(scheduler, 0, total, o.cond, o.uncond, state, rngs, shape, o);
      return this.finish(state, shape, total, o);
    }
    const refiner = o.refiner.model;
    refiner.checkSize(o.width, o.height);
    const refinerScheduler = refiner.createScheduler(o.scheduler, o.steps);
    // As diffusers splits it: the base keeps the timesteps at or above the cutoff, the refiner
    // takes those below, each counted on its own schedule.
    const cutoff = roundHalfEven(this.trainTimesteps * (1 - o.refiner.switchAt));
    const baseSteps = scheduler.timesteps.filter((t) => t >= cutoff).length;
    const refinerFirst =
      refinerScheduler.timesteps.length - refinerScheduler.timesteps.filter((t) => t < cutoff).length;
    state = await this.denoise(scheduler, 0, baseSteps, o.cond, o.uncond, state, rngs, shape, o);
    state = await refiner.denoise(
      refinerScheduler,
      refinerFirst,
      refinerScheduler.timesteps.length,
      o.refiner.cond,
      o.refiner.uncond,
      state,
      rngs,
      shape,
      o,
    );
    return refiner.finish(state, shape, refinerScheduler.timesteps.length, o);
  }

  private get trainTimesteps(): number {
    return this.folder.scheduler.num_train_timesteps ?? 1000;
  }

  /** Steps `from` … `to` − 1 of `scheduler` on every candidate, each step one batched UNet run (or a few). */
  private async denoise(
    scheduler: Scheduler,
    from: number,
    to: number,
    cond: PromptEmbedding,
    uncond: PromptEmbedding,
    state: DenoiseState,
    rngs: Rng[],
    shape: LatentShape,
    o: GenerateOptions,
  ): Promise<DenoiseState> {
    const size = shape.channels * shape.height * shape.width;
    const n = state.latents.length;
    const guided = this.guided(o.guidanceScale);
    // Rows of one UNet batch: every candidate's unconditional prediction, then its conditional one.
    const texts = guided ? [uncond, cond] : [cond];
    const rows = texts.length * n;
    const conditioning = this.conditioning(texts, guided, n, o);
    const chunk = this.fixedBatch ?? rows;
    if (rows % chunk !== 0 && chunk > 1) {
      throw new RenderError(
        "UnsupportedModel",
        `${this.unet.label} was exported for batches of exactly ${chunk}; it cannot run ${rows} rows`,
      );
    }
    const total = scheduler.timesteps.length;
    let { latents, denoised } = state;
    for (let step = from; step < to; step++) {
      if (o.signal?.aborted) throw new RenderError("Aborted", `render aborted at step ${step} of ${total}`);
      const inputs = latents.map((x) => scheduler.scaleModelInput(x, step));
      const sample = new Float32Array(rows * size);
      for (let r = 0; r < rows; r++) sample.set(inputs[r % n]!, r * size);
      const t = scheduler.timesteps[step]!;
      const out = new Float32Array(rows * size);
      for (let first = 0; first < rows; first += chunk) {
        const part = await this.runUnet(sample, first, chunk, t, conditioning, shape, o);
        out.set(part, first * size);
      }
      const next: Float32Array[] = [];
      const x0: Float32Array[] = [];
      for (let i = 0; i < n; i++) {
        const c = out.subarray((guided ? n + i : i) * size, (guided ? n + i + 1 : i + 1) * size);
        const noise = guided
          ? combineGuidance(out.subarray(i * size, (i + 1) * size), c, o.guidanceScale)
          : c;
        const result = scheduler.step(noise, step, latents[i]!, rngs[i]!);
        next.push(result.prevSample);
        x0.push(result.predOriginal);
      }
      latents = next;
      denoised = x0;
      if (step === total - 1) break;
      const preview =
        o.previewEvery > 0 && (step + 1) % o.previewEvery === 0
          ? await this.decode(x0[0]!, shape, o)
          : undefined;
      await o.onStep(step + 1, preview);
    }
    return { latents, denoised };
  }

  /** The candidates' images from the last stage's latents, through this model's VAE. */
  private async finish(state: DenoiseState, shape: LatentShape, total: number, o: GenerateOptions) {
    // The LCM pipeline decodes the last step's denoised estimate, the others the last sample.
    const final = this.folder.pipeline === "latent-consistency" ? state.denoised : state.latents;
    const images: RgbImage[] = [];
    for (const x of final) images.push(await this.decode(x, shape, o));
    await o.onStep(total, o.previewEvery > 0 ? images[0] : undefined);
    return images;
  }

  /** The per-row conditioning of one batch, built once per render: text, SDXL's added inputs, LCM's w. */
  private conditioning(texts: PromptEmbedding[], negativeFirst: boolean, n: number, o: GenerateOptions) {
    const width = texts[0]!.dims[2]!;
    const tokens = texts[0]!.dims[1]!;
    const rowText = tokens * width;
    const rows = texts.length * n;
    const hidden = new Float32Array(rows * rowText);
    for (let r = 0; r < rows; r++) hidden.set(texts[Math.floor(r / n)]!.data, r * rowText);
    const result: {
      hidden: Float32Array;
      tokens: number;
      width: number;
      pooled?: Float32Array;
      pooledWidth?: number;
      timeIds?: Float32Array;
      timestepCond?: Float32Array;
      condWidth?: number;
    } = { hidden, tokens, width };
    if (this.folder.unet.textTime) {
      const pooledWidth = texts[0]!.pooled!.length;
      const pooled = new Float32Array(rows * pooledWidth);
      for (let r = 0; r < rows; r++) pooled.set(texts[Math.floor(r / n)]!.pooled!, r * pooledWidth);
      // (original height, width), crop top-left (0, 0), then the target (height, width), or for the
      // refiner the aesthetic score, lower on the negative side: an uncropped render.
      const count = this.timeIdCount;
      const idsOf = (negative: boolean) =>
        this.folder.unet.aestheticScore
          ? [o.height, o.width, 0, 0, negative ? NEGATIVE_AESTHETIC_SCORE : AESTHETIC_SCORE]
          : [o.height, o.width, 0, 0, o.height, o.width];
      const timeIds = new Float32Array(rows * count);
      for (let r = 0; r < rows; r++) timeIds.set(idsOf(negativeFirst && r < n), r * count);
      Object.assign(result, { pooled, pooledWidth, timeIds });
    }
    if (this.unet.hasInput("timestep_cond")) {
      const [, dim] = this.unet.input("timestep_cond").shape;
      const condWidth = typeof dim === "number" ? dim : (this.folder.unet.timeCondProjDim ?? 256);
      Object.assign(result, { timestepCond: guidanceEmbedding(o.guidanceScale, condWidth, rows), condWidth });
    }
    return result;
  }

  private async runUnet(
    sample: Float32Array,
    first: number,
    batch: number,
    timestep: number,
    c: ReturnType<GeneratorModel["conditioning"]>,
    shape: LatentShape,
    o: GenerateOptions,
  ): Promise<Float32Array> {
    const size = shape.channels * shape.height * shape.width;
    const rows = (data: Float32Array, width: number) => data.subarray(first * width, (first + batch) * width);
    const feeds: Record<string, ort.Tensor> = {
      sample: floatTensor(this.unet.input("sample"), rows(sample, size), [
        batch,
        shape.channels,
        shape.height,
        shape.width,
      ]),
      timestep: timestepTensor(this.unet.input("timestep"), timestep, batch),
      encoder_hidden_states: floatTensor(
        this.unet.input("encoder_hidden_states"),
        rows(c.hidden, c.tokens * c.width),
        [batch, c.tokens, c.width],
      ),
    };
    if (c.pooled && c.timeIds) {
      feeds.text_embeds = floatTensor(this.unet.input("text_embeds"), rows(c.pooled, c.pooledWidth!), [
        batch,
        c.pooledWidth!,
      ]);
      const count = this.timeIdCount;
      feeds.time_ids = floatTensor(this.unet.input("time_ids"), rows(c.timeIds, count), [batch, count]);
    }
    if (c.timestepCond) {
      feeds.timestep_cond = floatTensor(
        this.unet.input("timestep_cond"),
        rows(c.timestepCond, c.condWidth!),
        [batch, c.condWidth!],
      );
    }
    const out = await this.runChecked(this.unet, feeds, o);
    return readFloats(out[this.unet.outputName("out_sample")], this.unet.label);
  }

  private async decode(latents: Float32Array, shape: LatentShape, o: GenerateOptions): Promise<RgbImage> {
    const out = await this.runChecked(this.decoder.session, this.decoder.feeds(latents, shape), o);
    return this.decoder.image(out);
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
    await Promise.all([this.text.release(), this.unet.release(), this.decoder.release()]);
  }
}

/** ε = ε_uncond + g · (ε_cond − ε_uncond). */
function combineGuidance(uncond: Float32Array, cond: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(uncond.length);
  for (let i = 0; i < out.length; i++) out[i] = uncond[i]! + scale * (cond[i]! - uncond[i]!);
  return out;
}

/** Python's round(): halves go to the even neighbour, as diffusers' timestep cutoff is computed. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
