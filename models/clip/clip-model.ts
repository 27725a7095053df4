import { conceptTokens } from "../concept-tokens.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";
import { CLIP_CONTEXT_LENGTH } from "../../lib/tokenizer/clip-tokenizer.ts";
import { AXIS, clipTextTable, EMBED_DIM, IMAGE_AXES } from "./concept-space.ts";

export const CLIP_IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];
export const CLIP_IMAGE_SIZE = 224;
export const LOGIT_SCALE = 100;

/**
 * A CLIP-shaped dual encoder (ViT-B/32 export interface). Text: concept features of the prompt's
 * tokens summed under the attention mask, plus the anchor. Image: colour statistics of the
 * un-normalised pixels mapped onto the same axes. Both towers are independent, so a caller may pass a
 * dummy single item on the side it does not need.
 */
export function buildClipModel(): Uint8Array {
  const g = new GraphBuilder("aria_clip");
  const ids = g.input("input_ids", "int64", ["batch_text", CLIP_CONTEXT_LENGTH]);
  const mask = g.input("attention_mask", "int64", ["batch_text", CLIP_CONTEXT_LENGTH]);
  const pixels = g.input("pixel_values", "float32", ["batch_image", 3, "image_height", "image_width"]);
  const c = (value: number): string => g.scalar(value);
  const normalise = (x: string, name: string): string =>
    g.op("LpNormalization", [x], { axis: -1, p: 2 }, name);

  // Text tower.
  const { table } = conceptTokens();
  const textTable = clipTextTable();
  const rows = g.op("Gather", [g.constant(table, [table.length], "int32"), ids]);
  const tokens = g.op("Gather", [g.constant(textTable, [textTable.length / EMBED_DIM, EMBED_DIM]), rows]);
  const kept = g.mul(tokens, g.unsqueeze(g.op("Cast", [mask], { to: 1 }), [2]));
  const anchor = g.constant(
    Array.from({ length: EMBED_DIM }, (_, i) => (i === AXIS.anchor ? 1 : 0)),
    [EMBED_DIM],
  );
  const textEmbeds = normalise(g.add(g.reduceSum(kept, [1], false), anchor), "text_embeds");

  // Image tower: undo CLIP's normalisation, then measure mean colour, luma spread and saturation.
  const rgb = g.add(
    g.mul(pixels, g.constant(CLIP_IMAGE_STD, [1, 3, 1, 1])),
    g.constant(CLIP_IMAGE_MEAN, [1, 3, 1, 1]),
  );
  const meanColour = g.sub(g.mul(g.reduceMean(rgb, [2, 3], false), c(2)), c(1)); // centred, [B, 3]
  const luma = g.reduceMean(rgb, [1], true);
  const lumaOffset = g.sub(luma, g.reduceMean(luma, [2, 3], true));
  const lumaStd = g.reshape(
    g.op("Sqrt", [g.reduceMean(g.mul(lumaOffset, lumaOffset), [1, 2, 3], false)]),
    [-1, 1],
  );
  const chroma = g.sub(
    g.op("ReduceMax", [rgb], { axes: [1], keepdims: 1 }),
    g.op("ReduceMin", [rgb], { axes: [1], keepdims: 1 }),
  );
  const saturation = g.reshape(g.reduceMean(chroma, [1, 2, 3], false), [-1, 1]);
  const stats = g.op("Concat", [meanColour, lumaStd, saturation], { axis: 1 }); // [B, 5]
  const imageEmbeds = normalise(
    g.add(
      g.op("MatMul", [stats, g.constant(imageProjection(), [5, EMBED_DIM])]),
      g.constant(imageBias(), [EMBED_DIM]),
    ),
    "image_embeds",
  );

  const similarity = g.op("MatMul", [imageEmbeds, g.op("Transpose", [textEmbeds], { perm: [1, 0] })]);
  g.op("Mul", [similarity, c(LOGIT_SCALE)], {}, "logits_per_image");
  g.op("Transpose", ["logits_per_image"], { perm: [1, 0] }, "logits_per_text");
  g.output("text_embeds", "float32", ["batch_text", EMBED_DIM]);
  g.output("image_embeds", "float32", ["batch_image", EMBED_DIM]);
  g.output("logits_per_image", "float32", ["batch_image", "batch_text"]);
  g.output("logits_per_text", "float32", ["batch_text", "batch_image"]);
  return g.toBytes();
}

/** Rows: centred mean r, g, b; luma std; saturation. Columns: embedding axes. */
function imageProjection(): Float32Array {
  const w = new Float32Array(5 * EMBED_DIM);
  const set = (row: number, axis: number, value: number): void => void (w[row * EMBED_DIM + axis] = value);
  // (r, g, b) → (L, a, b) as in concepts.ts' rgbToLab.
  const lab = [
    [1 / 3, 1, 0.5],
    [1 / 3, -1, 0.5],
    [1 / 3, 0, -1],
  ];
  lab.forEach(([L, a, b], row) => {
    set(row, AXIS.brightness, L! * IMAGE_AXES.brightness.gain);
    set(row, AXIS.a, a! * IMAGE_AXES.a.gain);
    set(row, AXIS.b, b! * IMAGE_AXES.b.gain);
  });
  set(3, AXIS.contrast, IMAGE_AXES.contrast.gain);
  set(4, AXIS.saturation, IMAGE_AXES.saturation.gain);
  return w;
}

function imageBias(): Float32Array {
  const bias = new Float32Array(EMBED_DIM);
  bias[AXIS.anchor] = 1;
  bias[AXIS.contrast] = -IMAGE_AXES.contrast.offset * IMAGE_AXES.contrast.gain;
  bias[AXIS.saturation] = -IMAGE_AXES.saturation.offset * IMAGE_AXES.saturation.gain;
  return bias;
}
