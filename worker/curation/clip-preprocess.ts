import sharp from "sharp";
import { assertRgbImage, type RgbImage } from "./rgb-image.ts";

/** CLIPImageProcessor's defaults for ViT-B/32 and ViT-L/14 (openai/clip-vit-*). */
export const CLIP_SIZE = 224;
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/**
 * One image → Float32 [3, 224, 224] (CHW), as transformers' CLIPImageProcessor: shortest side to
 * 224 with bicubic resampling, centre crop 224×224, scale to [0, 1], normalise per channel.
 */
export async function clipPreprocess(image: RgbImage): Promise<Float32Array> {
  const out = new Float32Array(3 * CLIP_SIZE * CLIP_SIZE);
  await preprocessInto(image, out, 0);
  return out;
}

/** N images → one [N, 3, 224, 224] tensor, so all candidates are scored in one batched run. */
export async function clipPreprocessBatch(
  images: readonly RgbImage[],
): Promise<{ data: Float32Array; dims: [number, 3, number, number] }> {
  const plane = 3 * CLIP_SIZE * CLIP_SIZE;
  const data = new Float32Array(images.length * plane);
  await Promise.all(images.map((image, i) => preprocessInto(image, data, i * plane)));
  return { data, dims: [images.length, 3, CLIP_SIZE, CLIP_SIZE] };
}

async function preprocessInto(image: RgbImage, out: Float32Array, offset: number): Promise<void> {
  assertRgbImage(image);
  const { width, height } = resizedSize(image.width, image.height);
  const resized =
    width === image.width && height === image.height
      ? Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          // Catmull-Rom cubic = PIL's BICUBIC (a = −0.5); libvips, like PIL, widens the kernel when shrinking.
          .resize(width, height, { kernel: "cubic", fit: "fill" })
          .raw()
          .toBuffer();
  // transformers' center_crop: offsets (size − crop) // 2, i.e. an odd leftover pixel stays on the right/bottom.
  const top = Math.floor((height - CLIP_SIZE) / 2);
  const left = Math.floor((width - CLIP_SIZE) / 2);
  const plane = CLIP_SIZE * CLIP_SIZE;
  for (let c = 0; c < 3; c++) {
    const mean = CLIP_MEAN[c]!;
    const std = CLIP_STD[c]!;
    for (let y = 0; y < CLIP_SIZE; y++) {
      const row = ((top + y) * width + left) * 3 + c;
      const base = offset + c * plane + y * CLIP_SIZE;
      for (let x = 0; x < CLIP_SIZE; x++) {
        out[base + x] = (resized[row + x * 3]! / 255 - mean) / std;
      }
    }
  }
}

/** transformers' get_resize_output_image_size(default_to_square=False): the long side is truncated, not rounded. */
export function resizedSize(width: number, height: number): { width: number; height: number } {
  if (width <= height) return { width: CLIP_SIZE, height: Math.trunc((CLIP_SIZE * height) / width) };
  return { width: Math.trunc((CLIP_SIZE * width) / height), height: CLIP_SIZE };
}
