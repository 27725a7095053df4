import * as ort from "onnxruntime-node";
import { CLIP_IMAGE_MEAN, CLIP_IMAGE_SIZE, CLIP_IMAGE_STD } from "./clip-model.ts";

/** Test images: `colour(x, y)` in [0, 1] → CLIP-normalised pixel_values [N, 3, 224, 224]. */
export function pixelValues(images: Array<(x: number, y: number) => readonly number[]>): ort.Tensor {
  const size = CLIP_IMAGE_SIZE;
  const plane = size * size;
  const data = new Float32Array(images.length * 3 * plane);
  images.forEach((colour, n) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const rgb = colour(x / size, y / size);
        for (let c = 0; c < 3; c++) {
          data[(n * 3 + c) * plane + y * size + x] = (rgb[c]! - CLIP_IMAGE_MEAN[c]!) / CLIP_IMAGE_STD[c]!;
        }
      }
    }
  });
  return new ort.Tensor("float32", data, [images.length, 3, size, size]);
}

/** A painterly image of one hue: a vertical gradient with soft bands. */
export function shadesOf([r, g, b]: readonly number[]): (x: number, y: number) => number[] {
  return (x, y) => {
    const shade = 0.55 + 0.35 * (1 - y) + 0.1 * Math.sin(12 * x + 4 * y);
    return [r! * shade, g! * shade, b! * shade].map((v) => Math.min(1, v));
  };
}
