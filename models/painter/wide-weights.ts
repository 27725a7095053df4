import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { ExternalTensor } from "../onnx/graph-builder.ts";
import { seededRandom } from "../onnx/random.ts";
import { MODIFIERS, TEXT_DIM } from "./text-features.ts";

/** Hidden width that brings the UNet to ≈1 GB: (64 + 9) × 3.4 M float32 weights. */
export const WIDE_HIDDEN = 3_400_000;
/** Keeps the wide layer's effect on the modifiers around 1% of their range: real, but small. */
const OUTPUT_SCALE = 0.02;
const CHUNK = 1 << 20;

export function wideTensors(hidden: number = WIDE_HIDDEN): [ExternalTensor, ExternalTensor] {
  const firstLength = TEXT_DIM * hidden * 4;
  return [
    { name: "wide_in", dims: [TEXT_DIM, hidden], offset: 0, length: firstLength },
    {
      name: "wide_out",
      dims: [hidden, MODIFIERS.length],
      offset: firstLength,
      length: hidden * MODIFIERS.length * 4,
    },
  ];
}

/**
 * Streams both matrices (uniform, Xavier-like input scale) to `path`, deterministically. Float32Array
 * bytes are written as-is: ONNX external data is little-endian, like every host Node supports here.
 */
export async function writeWideWeights(path: string, hidden: number = WIDE_HIDDEN): Promise<void> {
  const out = createWriteStream(path);
  const random = seededRandom(0x5eed_0002);
  const emit = async (count: number, scale: number): Promise<void> => {
    for (let done = 0; done < count; done += CHUNK) {
      const chunk = new Float32Array(Math.min(CHUNK, count - done));
      for (let i = 0; i < chunk.length; i++) chunk[i] = (2 * random() - 1) * scale;
      if (!out.write(new Uint8Array(chunk.buffer))) await once(out, "drain");
    }
  };
  await emit(TEXT_DIM * hidden, Math.sqrt(3 / TEXT_DIM));
  await emit(hidden * MODIFIERS.length, OUTPUT_SCALE * Math.sqrt(3 / hidden));
  out.end();
  await once(out, "finish");
}
