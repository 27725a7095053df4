import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EMBED_DIM } from "../clip/concept-space.ts";
import { buildAestheticModel } from "./aesthetic-model.ts";

/** Writes aria-aesthetic: `model.onnx` and `config.json` naming the embedding model it scores. */
export async function buildAesthetic(dir: string): Promise<void> {
  await writeFile(join(dir, "model.onnx"), buildAestheticModel());
  await writeFile(
    join(dir, "config.json"),
    `${JSON.stringify({ embedding_model: "aria-clip", embedding_dim: EMBED_DIM, input: "input", output: "score", score_range: [1, 10] }, null, 2)}\n`,
  );
}
