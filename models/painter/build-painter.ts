import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SCHEDULER_CONFIG } from "../noise-schedule.ts";
import { builtinTokenizer, writeTokenizerFiles } from "../tokenizer-files.ts";
import { buildTextEncoder } from "./text-encoder.ts";
import { TEXT_DIM } from "./text-features.ts";
import { buildUnet, type TimestepInput } from "./unet.ts";
import { buildVaeDecoder, VAE_SCALING_FACTOR } from "./vae-decoder.ts";
import { wideTensors, writeWideWeights } from "./wide-weights.ts";

/** Defaults the pipeline reads from model_index.json's `aria` block. */
export const PAINTER_DEFAULTS = {
  width: 256,
  height: 256,
  steps: 20,
  guidanceScale: 5,
  scheduler: "euler",
} as const;

export interface PainterOptions {
  /** "1gb" adds ≈1 GB of real (small-effect) UNet weights in external data, for cold-start benchmarks. */
  scale?: "1gb";
  /** Test-only: "float-scalar" exports `timestep` as a float32 scalar, as some real exporters do. */
  timestep?: TimestepInput;
}

/** Writes the diffusers/Optimum ONNX layout of the built-in generator into `dir`. */
export async function buildPainter(dir: string, options: PainterOptions = {}): Promise<void> {
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  const put = async (path: string, data: string | Uint8Array): Promise<void> => {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), data);
  };
  await put(
    "model_index.json",
    json({
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
      scheduler: ["diffusers", "EulerDiscreteScheduler"],
      text_encoder: ["diffusers", "OnnxRuntimeModel"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: ["diffusers", "OnnxRuntimeModel"],
      vae_decoder: ["diffusers", "OnnxRuntimeModel"],
      aria: { ...PAINTER_DEFAULTS, hiddenSize: TEXT_DIM },
    }),
  );
  await put("scheduler/scheduler_config.json", json(SCHEDULER_CONFIG));
  await writeTokenizerFiles(join(dir, "tokenizer"));
  await put("text_encoder/model.onnx", buildTextEncoder(builtinTokenizer().endId));

  const timestep = options.timestep ?? "int64";
  if (options.scale === "1gb") {
    // Optimum's name for external data; onnxruntime resolves it relative to model.onnx.
    const location = "model.onnx_data";
    await mkdir(join(dir, "unet"), { recursive: true });
    await writeWideWeights(join(dir, "unet", location));
    await put("unet/model.onnx", buildUnet({ timestep, wide: { tensors: wideTensors(), location } }));
  } else {
    await put("unet/model.onnx", buildUnet({ timestep }));
  }
  await put("vae_decoder/model.onnx", buildVaeDecoder());
  await put(
    "vae_decoder/config.json",
    json({
      _class_name: "AutoencoderKL",
      latent_channels: 4,
      out_channels: 3,
      scaling_factor: VAE_SCALING_FACTOR,
    }),
  );
}
