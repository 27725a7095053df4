/** A decoded image as the VAE decoder produces it: interleaved 8-bit RGB, row-major, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Catches a wrong stride or channel count before it turns into a silently scrambled picture. */
export function assertRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new RangeError(
      `RGB image ${width}×${height} needs ${width * height * 3} bytes, got ${data.length}`,
    );
  }
}
