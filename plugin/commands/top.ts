import { ARTWORK, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import { poolActivity } from "../../lib/observability/pool-activity.ts";
import type { AriaClient } from "../aria-client.ts";
import { formatTable } from "../table.ts";

/** `kubectl aria top`: each pool's warm workers, queue, running Artworks and recent render rate. */
export async function top(client: AriaClient, now = Date.now()): Promise<void> {
  const pools = await client.list<ModelPool>(MODEL_POOL);
  if (pools.length === 0) {
    console.log(`No ModelPools in namespace "${client.namespace}"`);
    return;
  }
  const arts = await client.list<Artwork>(ARTWORK);
  const rows = pools.map((p) => {
    const a = poolActivity(p, arts, now);
    return [a.name, `${a.warm}/${a.replicas}`, a.queued, a.running, a.rendersPerMinute.toFixed(1), a.models];
  });
  console.log(formatTable(["pool", "warm", "queued", "running", "renders/min", "models"], rows));
}
