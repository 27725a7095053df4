// Progress writes while the API server hangs: one in flight, only the newest waits behind it, so
// the final write is never held up behind a minute of stale progress.
import { describe, expect, it, vi } from "vitest";
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import type { PreviewHub } from "../http/preview-hub.ts";
import type { FencedStatusWriter } from "./fenced-status-writer.ts";
import { PROGRESS_INTERVAL_MS, ProgressReporter } from "./progress-reporter.ts";

const art: Artwork = {
  metadata: { name: "sunrise", namespace: "gallery", generation: 1 },
  spec: { prompt: "a red sunrise", poolRef: { name: "studio" } },
  status: { phase: "Generating", worker: "w1", attempt: 1 },
};

describe("ProgressReporter", () => {
  it("keeps one progress write in flight and only the newest waiting behind it", async () => {
    vi.useFakeTimers();
    try {
      const written: ArtworkStatus[] = [];
      const answers: Array<() => void> = [];
      const writer = {
        write: (_a: Artwork, _attempt: number, status: ArtworkStatus) => {
          written.push(status);
          return new Promise<void>((resolve) => answers.push(resolve));
        },
      } as unknown as FencedStatusWriter;
      const hub = { hasSubscribers: () => false } as unknown as PreviewHub;
      const reporter = new ProgressReporter(art, 1, writer, hub);
      // A minute of steps while the API server does not answer the first write.
      for (let step = 1; step <= 120; step++) {
        vi.advanceTimersByTime(PROGRESS_INTERVAL_MS);
        reporter.report({ step, totalSteps: 120, variation: 0, variations: 1, phase: "generating" });
      }
      expect(written.map((s) => s.progress?.step)).toEqual([1]);
      answers.shift()!();
      await vi.advanceTimersByTimeAsync(0);
      // The newest progress, not the 118 in between.
      expect(written.map((s) => s.progress?.step)).toEqual([1, 120]);
      const flushed = reporter.flush();
      answers.shift()!();
      await flushed;
      expect(written).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
