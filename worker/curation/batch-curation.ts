import type { ScorerOutputs } from "./ensemble.ts";
import type { RgbImage } from "./rgb-image.ts";
import { technicalQuality } from "./technical-quality.ts";
import type { AestheticModel } from "./aesthetic-model.ts";
import type { ClipModel } from "./clip-model.ts";

export type CurationMode = "batched" | "one-by-one";

/**
 * Scores every candidate with CLIP similarity, the aesthetic predictor (on CLIP's image embeddings)
 * and technical quality. "batched" makes one run per model for all N candidates; "one-by-one" makes
 * N runs per model and exists to measure what batching saves — both give the same scores.
 */
export async function scoreCandidates(
  prompt: string,
  images: readonly RgbImage[],
  clip: ClipModel,
  aesthetic: AestheticModel,
  mode: CurationMode = "batched",
): Promise<ScorerOutputs[]> {
  const { similarity, imageEmbeds } = await clip.score(prompt, images, mode);
  const aestheticScores = await aesthetic.score(imageEmbeds, mode);
  return images.map((image, i) => ({
    clip: similarity[i]!,
    aesthetic: aestheticScores[i]!,
    technical: technicalQuality(image).score,
  }));
}
