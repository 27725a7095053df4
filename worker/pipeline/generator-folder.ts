import { access } from "node:fs/promises";
import { join } from "node:path";
import { SCHEDULERS, type SchedulerName } from "../../crds/artwork.ts";
import { COMMON_DEFAULTS, resolveConfig, type SchedulerConfig } from "../schedulers/noise-schedule.ts";
import { ConfigFile } from "./config-file.ts";
import { SD_ATTENTION, type AttentionLevel } from "./batch-budget.ts";
import { RenderError } from "./render-error.ts";

/** How a folder's model is driven, after diffusers' pipeline classes. */
export type GeneratorPipeline = "stable-diffusion" | "stable-diffusion-xl" | "latent-consistency";

/**
 * model_index.json `_class_name`s this worker renders, as diffusers, Optimum and diffusers' older
 * ONNX converter write them, and the pipeline each one means.
 */
const PIPELINE_CLASSES: Record<string, GeneratorPipeline> = {
  StableDiffusionPipeline: "stable-diffusion",
  OnnxStableDiffusionPipeline: "stable-diffusion",
  ORTStableDiffusionPipeline: "stable-diffusion",
  StableDiffusionXLPipeline: "stable-diffusion-xl",
  ORTStableDiffusionXLPipeline: "stable-diffusion-xl",
  LatentConsistencyModelPipeline: "latent-consistency",
  ORTLatentConsistencyModelPipeline: "latent-consistency",
};

/**
 * Image-to-image SDXL pipelines: as a refiner they continue a generator's latents (diffusers'
 * denoising_start); they cannot start from noise alone.
 */
const REFINER_CLASSES = ["StableDiffusionXLImg2ImgPipeline", "ORTStableDiffusionXLImg2ImgPipeline"];

/** How the pool uses a folder: as an Artwork's generator, or as the second stage of one. */
export type GeneratorStage = "generator" | "refiner";

/** The scheduler a folder ships, as Aria's nearest sampler; others (PNDM, DPM-Solver, …) start with Euler. */
const SCHEDULER_CLASSES: Record<string, SchedulerName> = {
  EulerDiscreteScheduler: "euler",
  EulerAncestralDiscreteScheduler: "euler-ancestral",
  DDIMScheduler: "ddim",
  LCMScheduler: "lcm",
};

export interface UnetSettings {
  /** Latent size the UNet was trained at (`sample_size`); the default image is this × the VAE's factor. */
  sampleSize?: number;
  /** SDXL's added conditioning: the pooled text embedding and the size/crop "time ids". */
  textTime: boolean;
  /** The SDXL refiner's time ids: the aesthetic score in place of the target size. */
  aestheticScore: boolean;
  /** Width of the guidance-scale embedding a guidance-distilled (LCM) UNet takes as `timestep_cond`. */
  timeCondProjDim?: number;
  /** Its first attention level, for the batch memory estimate. */
  attention: AttentionLevel;
}

export interface VaeSettings {
  /** Latents are divided by this before decoding (SD 0.18215, SDXL 0.13025). */
  scalingFactor: number;
  /** Per-channel statistics some SDXL-family VAEs (e.g. Playground's) normalise latents with. */
  latentsMean?: number[];
  latentsStd?: number[];
  /** diffusers decodes this VAE in float32 when the weights are float16 (SDXL's VAE overflows in half). */
  forceUpcast: boolean;
  /** Pixels per latent pixel: 2^(blocks − 1). */
  scaleFactor: number;
  latentChannels: number;
}

/** What a generator folder holds, read from its configs before any session is opened. */
export interface GeneratorFolder {
  name: string;
  dir: string;
  stage: GeneratorStage;
  pipeline: GeneratorPipeline;
  /** Text encoders in the order the pipeline concatenates them, each with its tokenizer folder. */
  textEncoders: Array<{ component: string; tokenizerDir: string }>;
  /** SDXL: an absent negative prompt is zero embeddings, not the embedding of "". */
  forceZerosForEmptyPrompt: boolean;
  unet: UnetSettings;
  vae: VaeSettings;
  scheduler: SchedulerConfig;
  /** The sampler the folder's scheduler_config.json names (Euler when it names one Aria lacks). */
  schedulerName: SchedulerName;
  /** model_index.json's `aria` block, if the folder carries one (the built-in models do). */
  aria: Record<string, unknown>;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Reads a diffusers-layout folder (Optimum's ONNX export, diffusers' ONNX converter, or a built-in
 * model): which pipeline it is, found from model_index.json and what is in the folder, and every
 * config key the pipeline honours. What this worker does not implement is refused here, at load,
 * naming the file and the key, rather than rendering something other than what the model means.
 */
export async function readGeneratorFolder(
  name: string,
  dir: string,
  stage: GeneratorStage = "generator",
): Promise<GeneratorFolder> {
  if (!(await exists(dir)))
    throw new RenderError("UnsupportedModel", `${name}: the folder ${dir} does not exist`);
  const index = await ConfigFile.read(name, dir, "model_index.json", true);
  const className = index.values._class_name;
  const imageToImage = typeof className === "string" && REFINER_CLASSES.includes(className);
  if (imageToImage && stage === "generator") {
    throw new RenderError(
      "UnsupportedModel",
      `${name}: model_index.json: _class_name ${String(className)} is an image-to-image model (such as the SDXL refiner), not a text-to-image generator: give it role: refiner and name it in an SDXL generator's refiner`,
    );
  }
  const named = imageToImage
    ? "stable-diffusion-xl"
    : typeof className === "string"
      ? PIPELINE_CLASSES[className]
      : undefined;
  let pipeline: GeneratorPipeline =
    named ?? index.refuse("_class_name", [...Object.keys(PIPELINE_CLASSES), ...REFINER_CLASSES].join(", "));
  const hasSecondEncoder = await exists(join(dir, "text_encoder_2", "model.onnx"));
  const hasFirstEncoder = await exists(join(dir, "text_encoder", "model.onnx"));
  if (hasSecondEncoder && pipeline !== "stable-diffusion-xl") pipeline = "stable-diffusion-xl";
  const textEncoders: GeneratorFolder["textEncoders"] = [];
  if (hasFirstEncoder) textEncoders.push({ component: "text_encoder", tokenizerDir: join(dir, "tokenizer") });
  if (hasSecondEncoder)
    textEncoders.push({ component: "text_encoder_2", tokenizerDir: join(dir, "tokenizer_2") });
  if (textEncoders.length === 0) {
    throw new RenderError("UnsupportedModel", `${name}: text_encoder/model.onnx is missing in ${dir}`);
  }
  if (stage === "refiner" && pipeline !== "stable-diffusion-xl") {
    index.refuse(
      "_class_name",
      `${REFINER_CLASSES.join(", ")} or an SDXL text-to-image pipeline: a refiner continues an SDXL generator's latents`,
    );
  }
  if (pipeline !== "stable-diffusion-xl" && !hasFirstEncoder) {
    throw new RenderError("UnsupportedModel", `${name}: text_encoder/model.onnx is missing in ${dir}`);
  }
  for (const part of ["unet", "vae_decoder"]) {
    if (!(await exists(join(dir, part, "model.onnx")))) {
      throw new RenderError("UnsupportedModel", `${name}: ${part}/model.onnx is missing in ${dir}`);
    }
  }
  const aestheticScore = index.boolean("requires_aesthetics_score", false);
  if (aestheticScore && stage === "generator") {
    index.refuse(
      "requires_aesthetics_score",
      "false: aesthetic-score conditioning belongs to the SDXL refiner (role: refiner)",
    );
  }

  const unetConfig = await ConfigFile.read(name, dir, "unet/config.json", false);
  const vaeConfig = await ConfigFile.read(name, dir, "vae_decoder/config.json", false);
  const schedulerFile = "scheduler/scheduler_config.json";
  const schedulerConfig = await ConfigFile.read(name, dir, schedulerFile, true);

  const addition = unetConfig.values.addition_embed_type;
  if (addition !== undefined && addition !== null && addition !== "text_time") {
    unetConfig.refuse("addition_embed_type", "text_time (SDXL), null");
  }
  unetConfig.only("class_embed_type", null);
  unetConfig.only("encoder_hid_dim_type", null);
  // shift_factor belongs to the 16-channel VAEs of SD3 and Flux; no Stable Diffusion pipeline applies it.
  vaeConfig.only("shift_factor", 0);
  const channels = vaeConfig.integer("latent_channels", 4);
  // Only diffusers' SDXL pipeline un-normalises with latents_mean/std; the SD pipelines ignore them.
  const statistics = pipeline === "stable-diffusion-xl";
  const vae: VaeSettings = {
    scalingFactor: vaeConfig.number("scaling_factor", 0.18215, (v) => v > 0, "a positive number"),
    latentsMean: statistics ? vaeConfig.numbers("latents_mean", channels) : undefined,
    latentsStd: statistics ? vaeConfig.numbers("latents_std", channels) : undefined,
    forceUpcast: vaeConfig.boolean("force_upcast", true),
    scaleFactor: scaleFactorOf(vaeConfig),
    latentChannels: channels,
  };
  const inChannels = unetConfig.integer("in_channels", vae.latentChannels);
  if (inChannels !== vae.latentChannels) {
    unetConfig.refuse(
      "in_channels",
      `${vae.latentChannels}, the VAE's latent_channels (a UNet with more input channels is an inpainting or image-conditioned model)`,
    );
  }
  const unet: UnetSettings = {
    sampleSize: unetConfig.has("sample_size") ? unetConfig.integer("sample_size", 64) : undefined,
    textTime: addition === "text_time" || pipeline === "stable-diffusion-xl",
    aestheticScore,
    attention: firstAttention(unetConfig),
    timeCondProjDim: unetConfig.has("time_cond_proj_dim")
      ? unetConfig.integer("time_cond_proj_dim", 256)
      : undefined,
  };

  const scheduler = schedulerConfig.values as SchedulerConfig;
  try {
    resolveConfig(scheduler, COMMON_DEFAULTS);
  } catch (error) {
    throw new RenderError(
      "UnsupportedModel",
      `${name}: ${schedulerFile}: ${(error as Error).message.replace(/^scheduler_config\.json: /, "")}`,
    );
  }
  const schedulerClass = schedulerConfig.values._class_name;
  return {
    name,
    dir,
    stage,
    pipeline,
    textEncoders,
    forceZerosForEmptyPrompt: index.boolean(
      "force_zeros_for_empty_prompt",
      pipeline === "stable-diffusion-xl",
    ),
    unet,
    vae,
    scheduler,
    schedulerName:
      (typeof schedulerClass === "string" ? SCHEDULER_CLASSES[schedulerClass] : undefined) ?? SCHEDULERS[0],
    aria: (index.values.aria ?? {}) as Record<string, unknown>,
  };
}

/** diffusers' vae_scale_factor: 2^(len(block_out_channels) − 1), 8 for every Stable Diffusion VAE. */
function scaleFactorOf(config: ConfigFile): number {
  const blocks = config.values.block_out_channels;
  if (blocks === undefined || blocks === null) return 8;
  if (!Array.isArray(blocks) || blocks.length < 1)
    return config.refuse("block_out_channels", "a list of channel counts");
  return 2 ** (blocks.length - 1);
}

/**
 * The first down block with attention and its heads: diffusers' `num_attention_heads`, or, as its
 * UNet does when that is unset, the historically misnamed `attention_head_dim`.
 */
function firstAttention(config: ConfigFile): AttentionLevel {
  const blocks = config.values.down_block_types;
  if (!Array.isArray(blocks)) return SD_ATTENTION;
  const level = blocks.findIndex((b) => typeof b === "string" && b.includes("Attn"));
  if (level < 0) return SD_ATTENTION;
  const setting = config.values.num_attention_heads ?? config.values.attention_head_dim;
  const heads = Array.isArray(setting) ? setting[level] : setting;
  return {
    heads: typeof heads === "number" && heads > 0 ? heads : SD_ATTENTION.heads,
    downsample: 2 ** level,
  };
}
