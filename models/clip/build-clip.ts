import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeTokenizerFiles } from "../tokenizer-files.ts";
import {
  buildClipModel,
  CLIP_IMAGE_MEAN,
  CLIP_IMAGE_SIZE,
  CLIP_IMAGE_STD,
  LOGIT_SCALE,
} from "./clip-model.ts";
import { EMBED_DIM } from "./concept-space.ts";

/** Writes aria-clip: `model.onnx`, `config.json`, `preprocessor_config.json` and `tokenizer/`. */
export async function buildClip(dir: string): Promise<void> {
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(join(dir, "model.onnx"), buildClipModel());
  await writeFile(
    join(dir, "config.json"),
    json({
      model_type: "clip",
      projection_dim: EMBED_DIM,
      logit_scale: LOGIT_SCALE,
      max_position_embeddings: 77,
    }),
  );
  await writeFile(
    join(dir, "preprocessor_config.json"),
    json({
      image_processor_type: "CLIPImageProcessor",
      do_resize: true,
      size: { shortest_edge: CLIP_IMAGE_SIZE },
      do_center_crop: true,
      crop_size: { height: CLIP_IMAGE_SIZE, width: CLIP_IMAGE_SIZE },
      do_normalize: true,
      image_mean: CLIP_IMAGE_MEAN,
      image_std: CLIP_IMAGE_STD,
      resample: 3,
    }),
  );
  await writeTokenizerFiles(join(dir, "tokenizer"));
}
