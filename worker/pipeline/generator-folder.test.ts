import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readGeneratorFolder } from "./generator-folder.ts";
import { RenderError } from "./render-error.ts";
import { rejection } from "../../test/support/rejection.ts";

// Folders shaped as Optimum writes them; the sessions are never opened here, so the model files
// only need to exist.
const SDXL_FILES: Record<string, object | undefined> = {
  "model_index.json": { _class_name: "ORTStableDiffusionXLPipeline", force_zeros_for_empty_prompt: true },
  "text_encoder/model.onnx": undefined,
  "text_encoder_2/model.onnx": undefined,
  "unet/model.onnx": undefined,
  "unet/config.json": {
    addition_embed_type: "text_time",
    sample_size: 128,
    in_channels: 4,
    down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    attention_head_dim: [5, 10, 20],
  },
  "vae_decoder/model.onnx": undefined,
  "vae_decoder/config.json": {
    scaling_factor: 0.13025,
    force_upcast: true,
    latent_channels: 4,
    block_out_channels: [128, 256, 512, 512],
  },
  "scheduler/scheduler_config.json": {
    _class_name: "EulerDiscreteScheduler",
    timestep_spacing: "leading",
    steps_offset: 1,
  },
};

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes the SDXL folder with `changes` merged into its JSON files (null removes a file). */
async function folder(changes: Record<string, object | null> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "aria-folder-"));
  dirs.push(dir);
  for (const [file, content] of Object.entries(SDXL_FILES)) {
    const change = changes[file];
    if (change === null) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    const merged = content === undefined ? "" : JSON.stringify({ ...content, ...change });
    await writeFile(join(dir, file), merged);
  }
  return dir;
}

async function refusal(dir: string): Promise<string> {
  const error = await rejection(readGeneratorFolder("proteus", dir), RenderError);
  expect(error.reason).toBe("UnsupportedModel");
  return error.message;
}

describe("readGeneratorFolder", () => {
  it("reads an SDXL export: both encoders, time ids, the VAE's factor and its first attention level", async () => {
    const read = await readGeneratorFolder("proteus", await folder());
    expect(read.pipeline).toBe("stable-diffusion-xl");
    expect(read.textEncoders.map((e) => e.component)).toEqual(["text_encoder", "text_encoder_2"]);
    expect(read.unet).toMatchObject({
      textTime: true,
      sampleSize: 128,
      attention: { heads: 10, downsample: 2 },
    });
    expect(read.vae).toMatchObject({ scalingFactor: 0.13025, forceUpcast: true, scaleFactor: 8 });
    expect(read.schedulerName).toBe("euler");
    expect(read.forceZerosForEmptyPrompt).toBe(true);
  });

  it.each<[string, Record<string, object | null>, string]>([
    [
      "the SDXL refiner",
      { "model_index.json": { _class_name: "StableDiffusionXLImg2ImgPipeline" } },
      "proteus: model_index.json: _class_name StableDiffusionXLImg2ImgPipeline is an image-to-image model (such as the SDXL refiner), not a text-to-image generator: give it role: refiner",
    ],
    [
      "an unknown pipeline",
      { "model_index.json": { _class_name: "StableDiffusion3Pipeline" } },
      'proteus: model_index.json: _class_name "StableDiffusion3Pipeline" is not supported (supported: StableDiffusionPipeline,',
    ],
    [
      "aesthetic-score conditioning",
      { "model_index.json": { requires_aesthetics_score: true } },
      "proteus: model_index.json: requires_aesthetics_score true is not supported",
    ],
    [
      "an inpainting UNet",
      { "unet/config.json": { in_channels: 9 } },
      "proteus: unet/config.json: in_channels 9 is not supported (supported: 4, the VAE's latent_channels",
    ],
    [
      "image-conditioned added embeddings",
      { "unet/config.json": { addition_embed_type: "image" } },
      'proteus: unet/config.json: addition_embed_type "image" is not supported (supported: text_time (SDXL), null)',
    ],
    [
      "a VAE with a shift factor (SD3, Flux)",
      { "vae_decoder/config.json": { shift_factor: 0.1159 } },
      "proteus: vae_decoder/config.json: shift_factor 0.1159 is not supported (supported: 0)",
    ],
    [
      "Karras sigmas",
      { "scheduler/scheduler_config.json": { use_karras_sigmas: true } },
      "proteus: scheduler/scheduler_config.json: use_karras_sigmas=true is not supported",
    ],
    [
      "an unknown timestep spacing",
      { "scheduler/scheduler_config.json": { timestep_spacing: "karras" } },
      "timestep_spacing must be one of linspace, leading, trailing",
    ],
    [
      "a missing scheduler config",
      { "scheduler/scheduler_config.json": null },
      "proteus: scheduler/scheduler_config.json is missing in",
    ],
    ["a missing UNet", { "unet/model.onnx": null }, "proteus: unet/model.onnx is missing in"],
  ])("refuses %s at load, naming the file and the key", async (_what, changes, message) => {
    expect(await refusal(await folder(changes))).toContain(message);
  });

  it("reads the SDXL refiner as a refiner: the second encoder only, aesthetic-score time ids", async () => {
    const dir = await folder({
      "model_index.json": {
        _class_name: "ORTStableDiffusionXLImg2ImgPipeline",
        requires_aesthetics_score: true,
        force_zeros_for_empty_prompt: false,
      },
      "text_encoder/model.onnx": null,
    });
    const read = await readGeneratorFolder("refiner", dir, "refiner");
    expect(read).toMatchObject({ stage: "refiner", pipeline: "stable-diffusion-xl" });
    expect(read.textEncoders.map((e) => e.component)).toEqual(["text_encoder_2"]);
    expect(read.unet).toMatchObject({ textTime: true, aestheticScore: true });
    expect(read.forceZerosForEmptyPrompt).toBe(false);
  });

  it("refuses an SD 1.5 folder as a refiner, since a refiner continues SDXL latents", async () => {
    const dir = await folder({
      "model_index.json": { _class_name: "StableDiffusionPipeline" },
      "text_encoder_2/model.onnx": null,
    });
    const error = await rejection(readGeneratorFolder("painter", dir, "refiner"), RenderError);
    expect(error.message).toContain(
      'painter: model_index.json: _class_name "StableDiffusionPipeline" is not supported',
    );
    expect(error.message).toContain("a refiner continues an SDXL generator's latents");
  });
});
