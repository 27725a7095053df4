// The second write of a binding: the label the worker's watch selects on, and the finalizer that
// keeps stored images until the Artwork's deletion is handled. The scheduler writes it right after
// binding; the artwork controller repeats it when it did not land. Both write exactly this, so
// whichever lands second changes nothing and the API server stores no new version for it.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { ARTWORK_FINALIZER, WORKER_LABEL } from "../../crds/worker-protocol.ts";
import type { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";

/**
 * No resourceVersion: the worker's own writes may already have landed, and neither the label nor
 * the finalizer (added to the finalizers `art` has) can clobber them.
 */
export async function writeBindingMetadata(client: CustomObjectClient, art: Artwork, worker: string) {
  const finalizers = art.metadata.finalizers ?? [];
  await client.patchMetadata(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", {
    labels: { [WORKER_LABEL]: worker },
    ...(finalizers.includes(ARTWORK_FINALIZER) ? {} : { finalizers: [...finalizers, ARTWORK_FINALIZER] }),
  });
}
