import { join } from "node:path";
import type { RgbImage } from "../curation/rgb-image.ts";
import { upcastFloat16Graph } from "../onnx/float16-upcast.ts";
import { ModelSession } from "../onnx/model-session.ts";
import type { RunMeter } from "../onnx/run-meter.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { floatTensor, readFloats } from "../onnx/tensor-feeds.ts";
import type { GeneratorFolder, VaeSettings } from "./generator-folder.ts";

/** Spatial shape of one candidate's latents. */
export interface LatentShape {
  channels: number;
  height: number;
  width: number;
}

/**
 * The VAE decoder: latents → RGB as diffusers decodes them (un-normalise with latents_mean/std or
 * divide by scaling_factor, decode, map (−1, 1) to 0–255). A float16 decoder
 * of a VAE marked `force_upcast` is widened to float32 at load, as diffusers upcasts it before
 * decoding (SDXL's VAE overflows in half precision).
 */
export class LatentDecoder {
  private constructor(
    readonly session: ModelSession,
    private readonly vae: VaeSettings,
    /** True when the half-precision export was widened to float32. */
    readonly upcast: boolean,
  ) {}

  static async open(
    folder: GeneratorFolder,
    factory: SessionFactory,
    meter: RunMeter,
  ): Promise<LatentDecoder> {
    const path = join(folder.dir, "vae_decoder", "model.onnx");
    const widened = folder.vae.forceUpcast ? await upcastFloat16Graph(path) : undefined;
    const session = new ModelSession(
      await factory.open(widened ?? path),
      `${folder.name}/vae_decoder`,
      meter,
    );
    return new LatentDecoder(session, folder.vae, widened !== undefined);
  }

  /** The latent input's name and metadata; exporters name it latent_sample (Optimum) or differently. */
  private get input() {
    const name = this.session.session.inputNames[0]!;
    return { name, meta: this.session.input(name) };
  }

  /** Feeds for one candidate's latents, ready for ModelSession.run. */
  feeds(latents: Float32Array, shape: LatentShape) {
    const v = this.vae;
    const plane = shape.height * shape.width;
    const scaled = new Float32Array(latents.length);
    for (let c = 0; c < shape.channels; c++) {
      const mean = v.latentsMean?.[c];
      const std = v.latentsStd?.[c];
      for (let i = c * plane; i < (c + 1) * plane; i++) {
        scaled[i] =
          mean !== undefined && std !== undefined
            ? (latents[i]! * std) / v.scalingFactor + mean
            : latents[i]! / v.scalingFactor;
      }
    }
    const { name, meta } = this.input;
    return { [name]: floatTensor(meta, scaled, [1, shape.channels, shape.height, shape.width]) };
  }

  /** Reads the decoder's output as an image. */
  image(out: Awaited<ReturnType<ModelSession["run"]>>): RgbImage {
    const tensor = out[this.session.outputName("sample")];
    const pixels = readFloats(tensor, this.session.label);
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

  release(): Promise<void> {
    return this.session.release();
  }
}
