// A pool at a glance, as `kubectl aria top` and the gallery's dashboard show it: warm workers of
// those asked for, the queue, what runs, and renders per minute over the last minutes.
import type { Artwork } from "../../crds/artwork.ts";
import type { ModelPool } from "../../crds/model-pool.ts";

/** Renders per minute are counted over this window of completed Artworks. */
export const ACTIVITY_WINDOW_MINUTES = 10;

export interface PoolActivity {
  name: string;
  warm: number;
  replicas: number;
  queued: number;
  running: number;
  rendersPerMinute: number;
  models: string;
}

export function poolActivity(pool: ModelPool, artworks: Iterable<Artwork>, now = Date.now()): PoolActivity {
  const name = pool.metadata.name ?? "";
  const since = now - ACTIVITY_WINDOW_MINUTES * 60_000;
  let done = 0;
  for (const a of artworks) {
    if (
      a.spec.poolRef.name === name &&
      a.status?.phase === "Succeeded" &&
      a.status.completionTime !== undefined &&
      Date.parse(a.status.completionTime) >= since
    )
      done++;
  }
  const s = pool.status;
  return {
    name,
    warm: s?.readyReplicas ?? 0,
    replicas: pool.spec.replicas ?? 1,
    queued: s?.queueDepth ?? 0,
    running: s?.inFlight ?? 0,
    rendersPerMinute: done / ACTIVITY_WINDOW_MINUTES,
    models: s?.modelNames ?? pool.spec.models.map((m) => m.name).join(","),
  };
}
