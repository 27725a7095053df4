import { ARTWORK, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import type { AriaClient } from "../aria-client.ts";
import { formatTable } from "../table.ts";

/** Renders per minute are counted over this window of completed Artworks. */
const WINDOW_MINUTES = 10;

/** `kubectl aria top`: each pool's warm workers, queue, running Artworks and recent render rate. */
export async function top(client: AriaClient, now = Date.now()): Promise<void> {
  const pools = await client.list<ModelPool>(MODEL_POOL);
  if (pools.length === 0) {
    console.log(`No ModelPools in namespace "${client.namespace}"`);
    return;
  }
  const arts = await client.list<Artwork>(ARTWORK);
  const since = now - WINDOW_MINUTES * 60_000;
  const rows = pools.map((p) => {
    const name = p.metadata.name!;
    const done = arts.filter(
      (a) =>
        a.spec.poolRef.name === name &&
        a.status?.phase === "Succeeded" &&
        a.status.completionTime !== undefined &&
        Date.parse(a.status.completionTime) >= since,
    ).length;
    const s = p.status;
    return [
      name,
      `${s?.readyReplicas ?? 0}/${p.spec.replicas ?? 1}`,
      s?.queueDepth ?? 0,
      s?.inFlight ?? 0,
      (done / WINDOW_MINUTES).toFixed(1),
      s?.modelNames ?? p.spec.models.map((m) => m.name).join(","),
    ];
  });
  console.log(formatTable(["pool", "warm", "queued", "running", "renders/min", "models"], rows));
}
