// Writes an Artwork's push subscriptions annotation with the operator's own ServiceAccount (the
// caller was authorized before), as the feedback log is written: read the Artwork, change the
// list, merge-patch it conditional on the resourceVersion read, and on 409 read again and redo the
// change, so concurrent subscribers and the notifier never overwrite each other's entries.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { PUSH_SUBSCRIPTIONS_ANNOTATION, type PushSubscriptionEntry } from "../../crds/push-subscriptions.ts";
import type { CustomObjectClient } from "../../lib/kube/custom-object-client.ts";
import { isNotFound, retryOnConflict } from "../../lib/kube/kube-errors.ts";
import { readSubscriptions, serializeSubscriptions } from "./subscription-list.ts";

/** Why a change was not written: the Artwork is missing, being deleted, or its annotation unreadable. */
export type Refusal = "not-found" | "deleting" | "unreadable";

/** A change to the list: the new list, `false` to write nothing, or a reason to write nothing. */
export type ListChange<R> = (
  list: PushSubscriptionEntry[],
  art: Artwork,
) => { list: PushSubscriptionEntry[] | false; result: R };

/** Writers that kept winning against this one, each retry reading the Artwork afresh. */
const ATTEMPTS = 12;

export class SubscriptionStore {
  constructor(private readonly client: CustomObjectClient) {}

  /**
   * Applies `change` to the Artwork's list as the API server holds it now (`known` saves the first
   * read when the caller has just read it). Throws a 409 when other writers won every attempt.
   */
  async update<R>(
    namespace: string,
    name: string,
    change: ListChange<R>,
    known?: Artwork,
  ): Promise<{ result: R } | { refused: Refusal; problem?: string }> {
    let first = true;
    return retryOnConflict(async () => {
      let art: Artwork;
      try {
        art = (first && known) || (await this.client.get<Artwork>(ARTWORK, namespace, name));
      } catch (err) {
        if (isNotFound(err)) return { refused: "not-found" as const };
        throw err;
      } finally {
        first = false;
      }
      if (art.metadata.deletionTimestamp) return { refused: "deleting" as const };
      const { list, problem } = readSubscriptions(art);
      if (problem) return { refused: "unreadable" as const, problem };
      const next = change(list, art);
      if (next.list !== false) {
        try {
          await this.client.patchMetadataOf(ARTWORK, art, {
            annotations: { [PUSH_SUBSCRIPTIONS_ANNOTATION]: serializeSubscriptions(next.list) },
          });
        } catch (err) {
          if (isNotFound(err)) return { refused: "not-found" as const };
          throw err;
        }
      }
      return { result: next.result };
    }, ATTEMPTS);
  }
}
