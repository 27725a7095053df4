// Pure scheduling decisions: queue order and the choice of worker.
import type { Artwork } from "../../crds/artwork.ts";
import { hasModelWarm, isSchedulable, type WorkerView } from "./worker-view.ts";

/** Higher priority first, then first come first served; name breaks ties so the order is total. */
export function queueOrder(a: Artwork, b: Artwork) {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pb - pa;
  const ta = String(a.metadata.creationTimestamp ?? "");
  const tb = String(b.metadata.creationTimestamp ?? "");
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}

/** Whether the worker takes another Artwork now: schedulable, with fewer in flight than its capacity. */
export function hasRoom(worker: WorkerView, inFlight: ReadonlyMap<string, number>, now = Date.now()) {
  return isSchedulable(worker, now) && (inFlight.get(worker.id) ?? 0) < (worker.report?.capacity ?? 1);
}

/**
 * The schedulable worker with free capacity that has `model` warm and the fewest Artworks in
 * flight; undefined when every such worker is full.
 */
export function chooseWorker(
  workers: readonly WorkerView[],
  inFlight: ReadonlyMap<string, number>,
  model: string,
  now = Date.now(),
): WorkerView | undefined {
  let best: WorkerView | undefined;
  let bestLoad = Infinity;
  for (const w of workers) {
    if (!hasRoom(w, inFlight, now) || !hasModelWarm(w, model)) continue;
    const load = inFlight.get(w.id) ?? 0;
    if (load < bestLoad || (load === bestLoad && best && w.id < best.id)) {
      best = w;
      bestLoad = load;
    }
  }
  return best;
}
