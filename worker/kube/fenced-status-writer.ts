// A worker's writes to an Artwork's status are fenced: JSON Patch `test` operations on
// status.worker and status.attempt make the API server reject the write of an attempt the operator
// has since ended or given to someone else, so a slow or stale worker can never overwrite it.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork, ArtworkStatus } from "../../crds/artwork.ts";
import type { CustomObjectClient, JsonPatchOp } from "../../lib/kube/custom-object-client.ts";
import { retryTransient, statusCode } from "../../lib/kube/kube-errors.ts";

/** Another attempt owns the Artwork now: a fenced write was rejected. */
export class FencedOut extends Error {
  override name = "FencedOut";
}

/** The JSON Patch that writes `status` only while the Artwork's attempt is still (worker, attempt). */
export function fencedPatch(worker: string, attempt: number, status: ArtworkStatus): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [
    { op: "test", path: "/status/worker", value: worker },
    { op: "test", path: "/status/attempt", value: attempt },
  ];
  for (const [field, value] of Object.entries(status)) {
    // null rather than remove: remove fails on an absent field, and the API server prunes nulls.
    ops.push({ op: "add", path: `/status/${field}`, value: value ?? null });
  }
  return ops;
}

export class FencedStatusWriter {
  constructor(
    private readonly client: CustomObjectClient,
    private readonly workerId: string,
    private readonly onRetry?: (art: Artwork, err: unknown, failures: number, delayMs: number) => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** This writer, retrying only until `signal` aborts: for one attempt, ended when it stops being ours. */
  until(signal: AbortSignal): FencedStatusWriter {
    return new FencedStatusWriter(this.client, this.workerId, this.onRetry, signal);
  }

  /**
   * Transient failures are retried (the fence makes a repeat harmless) for as long as the API
   * server stays away, so an outage cannot turn a finished render into a failed or lost one; only
   * the writer's signal (the Artwork was deleted or given to another attempt) ends them. `bestEffort`
   * writes (progress, superseded by the next) are tried once. A rejected fence throws FencedOut.
   */
  async write(art: Artwork, attempt: number, status: ArtworkStatus, bestEffort = false) {
    const ops = fencedPatch(this.workerId, attempt, status);
    const patch = () =>
      this.client.jsonPatchStatus(ARTWORK, art.metadata.namespace ?? "", art.metadata.name ?? "", ops);
    try {
      await (bestEffort
        ? patch()
        : retryTransient(patch, {
            signal: this.signal,
            onRetry: (err, failures, delayMs) => this.onRetry?.(art, err, failures, delayMs),
          }));
    } catch (err) {
      if (statusCode(err) === 422 || statusCode(err) === 404) throw new FencedOut();
      throw err;
    }
  }
}
