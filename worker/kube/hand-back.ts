// Giving an attempt back to the operator: the Artwork goes to Pending, bound to no worker, and the
// scheduler binds it again (attempt + 1). A draining worker does it for what it could not finish;
// a restarted one (a container restart keeps the pod's name, so the same worker id) does it at start
// for what its previous process was rendering, which no process of this name will finish now.
import type { KubeConfig } from "@kubernetes/client-node";
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import { artworkConditions } from "../../crds/artwork-conditions.ts";
import { WORKER_LABEL } from "../../crds/worker-protocol.ts";
import { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import type { EventRecorder } from "../../lib/kube/event-recorder.ts";
import { retryTransient } from "../../lib/kube/kube-errors.ts";
import { objectKey } from "../../lib/kube/object-key.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import { FencedOut, type FencedStatusWriter } from "./fenced-status-writer.ts";

/** Pending, unbound, no progress (pure); `reason` says why on the Ready condition. */
export function handBackStatus(art: Artwork, reason: string, message: string): ArtworkStatus {
  return {
    phase: "Pending",
    message,
    worker: undefined,
    progress: undefined,
    conditions: artworkConditions(
      art.status?.conditions,
      { phase: "Pending", reason, message },
      art.metadata.generation,
    ),
  };
}

/** Phases in which a previous process of this worker had started rendering the attempt. */
const STARTED = new Set(["Generating", "Curating"]);

/**
 * At start, before models load: hands back every Artwork bound to `workerId` whose attempt was
 * already rendering. This process has started nothing yet, so those belong to a previous process
 * of the same name. Scheduled ones stay: this process takes them up once warm. A fenced write, so
 * an attempt the operator already moved on (a lost Lease) is left as it is.
 */
export async function handBackPreviousAttempts(o: {
  kc: KubeConfig;
  namespace: string;
  workerId: string;
  writer: FencedStatusWriter;
  events: EventRecorder;
  log: Logger;
}) {
  const { group, version, plural } = ARTWORK;
  const list = (await retryTransient(() =>
    new CustomObjectClient(o.kc).api.listNamespacedCustomObject({
      group,
      version,
      plural,
      namespace: o.namespace,
      labelSelector: `${WORKER_LABEL}=${o.workerId}`,
    }),
  )) as { items: Artwork[] };
  for (const art of list.items) {
    const { phase, worker, attempt } = art.status ?? {};
    if (worker !== o.workerId || !phase || !STARTED.has(phase) || attempt === undefined) continue;
    const message = `worker ${o.workerId} restarted during attempt ${attempt}; handed back for another attempt`;
    try {
      await o.writer.write(art, attempt, handBackStatus(art, "WorkerRestarted", message));
    } catch (err) {
      if (err instanceof FencedOut) continue;
      throw err;
    }
    o.events.record(art, "Normal", "WorkerRestarted", message);
    o.log.info({ artwork: objectKey(art), attempt }, "handed back an attempt of the previous process");
  }
}
