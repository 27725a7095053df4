import sharp from "sharp";
import { assertRgbImage, type RgbImage } from "./rgb-image.ts";

/** What CLIPImageProcessor does to an image, as a model's preprocessor_config.json sets it. */
export interface ClipImageSettings {
  /** The short side after resizing (size.shortest_edge); undefined when do_resize is false. */
  shortestEdge: number | undefined;
  /** The centre crop (crop_size); undefined when do_center_crop is false. */
  crop: { height: number; width: number } | undefined;
  /** Multiplies each 8-bit value (rescale_factor; 1 when do_rescale is false). */
  rescale: number;
  /** Per-channel normalisation (image_mean, image_std); undefined when do_normalize is false. */
  mean: readonly number[] | undefined;
  std: readonly number[] | undefined;
}

/** CLIPImageProcessor's defaults for ViT-B/32 and ViT-L/14 (openai/clip-vit-*). */
export const CLIP_SIZE = 224;
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;
export const CLIP_VIT_SETTINGS: ClipImageSettings = {
  shortestEdge: CLIP_SIZE,
  crop: { height: CLIP_SIZE, width: CLIP_SIZE },
  rescale: 1 / 255,
  mean: CLIP_MEAN,
  std: CLIP_STD,
};

/**
 * One image → Float32 [3, H, W] (CHW), as transformers' CLIPImageProcessor: shortest side to the
 * configured size with bicubic resampling, centre crop, rescale, normalise per channel.
 */
export async function clipPreprocess(
  image: RgbImage,
  settings: ClipImageSettings = CLIP_VIT_SETTINGS,
): Promise<Float32Array> {
  const { data } = await clipPreprocessBatch([image], settings);
  return data;
}

/** N images → one [N, 3, H, W] tensor, so all candidates are scored in one batched run. */
export async function clipPreprocessBatch(
  images: readonly RgbImage[],
  settings: ClipImageSettings = CLIP_VIT_SETTINGS,
): Promise<{ data: Float32Array; dims: [number, 3, number, number] }> {
  images.forEach(assertRgbImage);
  const sizes = images.map((image) => outputSize(image, settings));
  const { height, width } = sizes[0] ?? { height: 0, width: 0 };
  const mismatch = sizes.findIndex((s) => s.height !== height || s.width !== width);
  if (mismatch >= 0) {
    throw new Error(
      `images preprocess to different sizes (${width}×${height} and ${sizes[mismatch]!.width}×${sizes[mismatch]!.height}) without a centre crop`,
    );
  }
  const plane = 3 * height * width;
  const data = new Float32Array(images.length * plane);
  await Promise.all(images.map((image, i) => preprocessInto(image, settings, data, i * plane)));
  return { data, dims: [images.length, 3, height, width] };
}

function outputSize(image: RgbImage, settings: ClipImageSettings): { width: number; height: number } {
  return settings.crop ?? resizeTarget(image, settings);
}

function resizeTarget(image: RgbImage, settings: ClipImageSettings): { width: number; height: number } {
  return settings.shortestEdge === undefined
    ? { width: image.width, height: image.height }
    : resizedSize(image.width, image.height, settings.shortestEdge);
}

async function preprocessInto(
  image: RgbImage,
  settings: ClipImageSettings,
  out: Float32Array,
  offset: number,
): Promise<void> {
  const { width, height } = resizeTarget(image, settings);
  const resized =
    width === image.width && height === image.height
      ? Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          // Catmull-Rom cubic = PIL's BICUBIC (a = −0.5); libvips, like PIL, widens the kernel when shrinking.
          .resize(width, height, { kernel: "cubic", fit: "fill" })
          .raw()
          .toBuffer();
  const crop = settings.crop ?? { width, height };
  // transformers' center_crop: offsets (size − crop) // 2, i.e. an odd leftover pixel stays on the right/bottom.
  const top = Math.floor((height - crop.height) / 2);
  const left = Math.floor((width - crop.width) / 2);
  if (top < 0 || left < 0) {
    throw new Error(
      `a ${width}×${height} image is smaller than the ${crop.width}×${crop.height} centre crop`,
    );
  }
  const plane = crop.height * crop.width;
  for (let c = 0; c < 3; c++) {
    const mean = settings.mean?.[c] ?? 0;
    const std = settings.std?.[c] ?? 1;
    for (let y = 0; y < crop.height; y++) {
      const row = ((top + y) * width + left) * 3 + c;
      const base = offset + c * plane + y * crop.width;
      for (let x = 0; x < crop.width; x++) {
        out[base + x] = (resized[row + x * 3]! * settings.rescale - mean) / std;
      }
    }
  }
}

/** transformers' get_resize_output_image_size(default_to_square=False): the long side is truncated, not rounded. */
export function resizedSize(
  width: number,
  height: number,
  shortestEdge = CLIP_SIZE,
): { width: number; height: number } {
  if (width <= height) return { width: shortestEdge, height: Math.trunc((shortestEdge * height) / width) };
  return { width: Math.trunc((shortestEdge * width) / height), height: shortestEdge };
}
