import { LAB_TO_CENTRED_RGB } from "../concepts.ts";
import { spatialGrid } from "../onnx/coordinates.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";

/** SD's latent scaling factor; pipelines divide latents by it before decoding, so we multiply it back. */
export const VAE_SCALING_FACTOR = 0.18215;

/**
 * A VAE-decoder-shaped model: latent (L, a, b, brush energy) → RGB in (−1, 1) at 8× the size.
 * The colour channels go through a fixed 1×1 convolution (the inverse of concepts.ts' colour space)
 * after a bilinear 8× upsample; deterministic procedural brush strokes and soft tonal banding are
 * added in pixel units, scaled by the brush-energy channel, so outputs read as small paintings.
 */
export function buildVaeDecoder(): Uint8Array {
  const g = new GraphBuilder("aria_vae_decoder");
  const latent = g.input("latent_sample", "float32", ["batch", 4, "latent_height", "latent_width"]);
  const c = (value: number): string => g.scalar(value);

  const scaled = g.mul(latent, c(VAE_SCALING_FACTOR));
  const up = g.op("Resize", [scaled, "", g.constant([1, 1, 8, 8], [4])], {
    mode: "linear",
    coordinate_transformation_mode: "half_pixel",
  });
  const lab = g.slice(up, 1, 0, 3);
  const energy = g.slice(up, 1, 3, 4);
  const rgb = g.op("Conv", [lab, g.constant(LAB_TO_CENTRED_RGB, [3, 3, 1, 1])]);

  // Brush strokes: two families of warped lines (≈7 px apart) broken into dashes along their
  // length, at different angles, blended in patches so the stroke direction changes across the canvas.
  const { rows: y, cols: x } = spatialGrid(g, up, false);
  const along = (ax: number, ay: number, phase = 0): string =>
    g.add(g.add(g.mul(x, c(ax)), g.mul(y, c(ay))), c(phase));
  const wave = (ax: number, ay: number, phase = 0): string => g.op("Sin", [along(ax, ay, phase)]);
  const stroke = (
    across: [number, number],
    lengthwise: [number, number],
    warp: string,
    phase: number,
  ): string => {
    const lines = g.op("Sin", [g.add(along(across[0], across[1]), warp)]);
    const dashes = g.op("Sigmoid", [
      g.mul(g.op("Sin", [g.add(along(lengthwise[0], lengthwise[1], phase), warp)]), c(3)),
    ]);
    return g.mul(lines, dashes);
  };
  const warpA = g.add(g.mul(wave(0.045, 0.03), c(2.2)), g.mul(wave(-0.025, 0.06, 1), c(1.6)));
  const warpB = g.add(g.mul(wave(-0.02, 0.05, 2), c(2)), g.mul(wave(0.035, 0.055, 3), c(1.4)));
  const strokeA = stroke([0.78, 0.45], [-0.06, 0.104], warpA, 0.3);
  const strokeB = stroke([-0.27, 0.75], [0.1, 0.036], warpB, 1.9);
  const patch = g.add(g.mul(wave(0.045, 0, 1.3), wave(0, 0.052, 0.4)), g.mul(wave(0.031, 0.031), c(0.5)));
  const blend = g.op("Sigmoid", [g.mul(patch, c(4))]);
  const texture = g.add(g.mul(strokeA, blend), g.mul(strokeB, g.sub(c(1), blend)));
  const amplitude = g.add(c(0.03), g.mul(g.op("Sigmoid", [g.sub(g.mul(energy, c(3)), c(1.5))]), c(0.14)));

  // Soft tonal bands along the luma, like layered glazes.
  const bands = g.mul(g.op("Sin", [g.mul(g.slice(lab, 1, 0, 1), c(8))]), c(0.06));
  const shading = g.add(g.mul(texture, amplitude), bands);
  g.op("Tanh", [g.add(rgb, shading)], {}, "sample");
  g.output("sample", "float32", ["batch", 3, "height", "width"]);
  return g.toBytes();
}
