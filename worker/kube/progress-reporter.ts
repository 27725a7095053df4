// Live progress of one attempt: every preview goes to the preview stream's subscribers, and
// status.progress is written at most once an interval (a write per step would flood the API server).
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import { objectKey } from "../../lib/kube/object-key.ts";
import type { PreviewHub } from "../http/preview-hub.ts";
import type { RenderProgress } from "../pipeline/render-request.ts";
import type { FencedStatusWriter } from "./fenced-status-writer.ts";

/** Progress writes are throttled to this interval; previews stream over WebSocket instead. */
export const PROGRESS_INTERVAL_MS = 500;

/** Generation is 90 % of an attempt, curation up to 95 %; only the final write says 100. */
export function progressStatus(p: RenderProgress, art: Artwork): ArtworkStatus {
  const done =
    p.phase === "curating"
      ? 0.95
      : ((p.variation * p.totalSteps + p.step * (p.batch ?? 1)) / (p.variations * p.totalSteps)) * 0.9;
  const status: ArtworkStatus = {
    progress: {
      step: p.step,
      totalSteps: p.totalSteps,
      variation: p.variation,
      variations: p.variations,
      percent: Math.floor(done * 100),
    },
  };
  if (p.phase === "curating" && art.status?.phase !== "Curating") status.phase = "Curating";
  return status;
}

export class ProgressReporter {
  private readonly key: string;
  // The first progress write waits an interval too: a render shorter than that gets none.
  private lastWrite = Date.now();
  /** The write in flight, if any, and the newest progress that waits for it. */
  private inFlight: Promise<void> | undefined;
  private next: ArtworkStatus | undefined;

  constructor(
    private readonly art: Artwork,
    private readonly attempt: number,
    private readonly writer: FencedStatusWriter,
    private readonly hub: PreviewHub,
  ) {
    this.key = objectKey(art);
  }

  readonly report = (p: RenderProgress) => {
    if (p.preview && this.hub.hasSubscribers(this.key)) {
      const { step, totalSteps, variation, variations } = p;
      this.hub.preview(this.key, { step, totalSteps, variation, variations, jpeg: p.preview });
    }
    const now = Date.now();
    if (now - this.lastWrite < PROGRESS_INTERVAL_MS) return;
    this.lastWrite = now;
    // One progress write in flight at a time; while the API server is slow or away, only the
    // newest progress waits for it (a queue of stale ones would hold up the final write).
    this.next = progressStatus(p, this.art);
    this.inFlight ??= this.drain();
  };

  private async drain() {
    while (this.next) {
      const status = this.next;
      this.next = undefined;
      // A rejected one means another attempt took over; a failed one is superseded by the next.
      await this.writer.write(this.art, this.attempt, status, true).catch(() => undefined);
    }
    this.inFlight = undefined;
  }

  /** Drops progress not yet written and waits for the one in flight, so it cannot land after the final write. */
  async flush(): Promise<void> {
    this.next = undefined;
    await this.inFlight;
  }
}
