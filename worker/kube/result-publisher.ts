// What a finished render leaves behind: every candidate and the selected image's outputs in the
// image store, their URIs, hashes and scores in the Artwork's status, and the curation metrics.
import type { Artwork, ArtworkStatus, Candidate, StoredImage } from "../../crds/artwork.ts";
import { artworkConditions } from "../../crds/artwork-conditions.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import type { ImageStore, StoredObject } from "../../lib/storage/image-store.ts";
import type { WorkerMetrics } from "../metrics.ts";
import type { RenderRequest, RenderResult } from "../pipeline/render-request.ts";

type StoredFile = Omit<StoredObject, "created">;

/** Where each rendered file went, in the order of result.candidates and result.outputs. */
export interface StoredResult {
  candidates: StoredFile[];
  outputs: StoredFile[];
}

/** The attempt's final status: Succeeded with the kept image, or Failed when none reached minScore (pure). */
export function resultStatus(
  art: Artwork,
  req: RenderRequest,
  result: RenderResult,
  stored: StoredResult,
  now: Date,
): ArtworkStatus {
  const candidates: Candidate[] = result.candidates.map((c, i) => ({
    index: c.index,
    seed: c.seed,
    uri: stored.candidates[i]!.uri,
    sha256: stored.candidates[i]!.sha256,
    scores: c.scores,
  }));
  const common: ArtworkStatus = {
    candidates,
    promptTruncated: result.promptTruncated,
    completionTime: rfc3339(now),
    timings: {
      ...art.status?.timings,
      generateSeconds: round(result.timings.generateSeconds),
      curateSeconds: round(result.timings.curateSeconds),
    },
  };
  const conditions = (phase: "Succeeded" | "Failed", reason: string, message: string) => ({
    phase,
    message,
    conditions: artworkConditions(
      art.status?.conditions,
      { phase, reason, message },
      art.metadata.generation,
    ),
  });
  const selected = result.candidates.find((c) => c.index === result.selected);
  if (!selected) {
    const message = result.rejectedReason ?? "no candidate reached spec.curation.minScore";
    return { ...common, ...conditions("Failed", "BelowMinimumScore", message), progress: undefined };
  }
  const images: StoredImage[] = result.outputs.map((out, i) => ({
    format: out.format,
    uri: stored.outputs[i]!.uri,
    sha256: stored.outputs[i]!.sha256,
    width: out.width,
    height: out.height,
    bytes: stored.outputs[i]!.bytes,
  }));
  const truncated = result.promptTruncated
    ? " (the prompt was longer than the model's 77-token window and was truncated)"
    : "";
  const message = `kept candidate ${selected.index} of ${result.candidates.length} (score ${selected.scores.ensemble.toFixed(3)})${truncated}`;
  return {
    ...common,
    ...conditions("Succeeded", "Succeeded", message),
    selected: { index: selected.index, score: round(selected.scores.ensemble, 4), images },
    progress: {
      step: req.steps,
      totalSteps: req.steps,
      variation: req.variations,
      variations: req.variations,
      percent: 100,
    },
  };
}

export class ResultPublisher {
  constructor(
    private readonly store: ImageStore,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * Stores the files (content-addressed, so a repeated attempt stores nothing twice) and returns
   * the status to write. When one cannot be stored, the files this call created are removed again:
   * no status will ever point at them, so they would only fill the disk that just ran out.
   */
  async publish(art: Artwork, req: RenderRequest, result: RenderResult): Promise<ArtworkStatus> {
    const stored: StoredResult = { candidates: [], outputs: [] };
    const created: string[] = [];
    const put = async (bytes: Buffer, ext: string) => {
      const object = await this.store.put(bytes, ext);
      if (object.created) created.push(object.uri);
      return object;
    };
    try {
      for (const c of result.candidates) stored.candidates.push(await put(c.png, "png"));
      for (const out of result.outputs) {
        stored.outputs.push(await put(out.data, out.format === "jpeg" ? "jpg" : out.format));
      }
    } catch (error) {
      await Promise.all(created.map((uri) => this.store.delete(uri).catch(() => undefined)));
      throw error;
    }
    const m = this.metrics;
    for (const c of result.candidates) {
      m.images.inc({ model: req.model });
      m.steps.observe({ model: req.model }, req.steps);
      m.clip.observe({ model: req.model }, c.scores.clip);
      m.aesthetic.observe({ model: req.model }, c.scores.aesthetic);
      m.technical.observe({ model: req.model }, c.scores.technical);
    }
    const selected = result.candidates.find((c) => c.index === result.selected);
    if (selected) m.ensemble.observe({ model: req.model }, selected.scores.ensemble);
    return resultStatus(art, req, result, stored, new Date());
  }
}

function round(n: number, digits = 3) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
