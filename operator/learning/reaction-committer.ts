// Group commit of the feedback API's reactions: those to one Artwork that arrive while a write to it
// is in flight go into the next write together, and each caller is answered only once the write
// holding its reaction has succeeded. One Artwork then takes as many reactions a second as fit in
// the writes the API server completes, not one per write.
import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../../crds/worker-protocol.ts";
import { isConflict, isNotFound } from "../../lib/kube/kube-errors.ts";
import { objectKey } from "../../lib/kube/object-key.ts";
import { learningStateKeyOf, type OperatorContext } from "../context.ts";
import { foldedSeq } from "./feedback-fold.ts";
import {
  appendReactions,
  compactLog,
  hasRequest,
  readFeedbackLog,
  serializeLog,
  type NewReaction,
} from "./feedback-log.ts";
import { feedbackTarget } from "./feedback-target.ts";

/**
 * What became of one reaction: written (or found written already: same request id), or not, because
 * the Artwork is missing, being deleted, its log unreadable, its log full of unfolded reactions, or
 * other writers kept winning.
 */
export type CommitOutcome = "written" | "not-found" | "deleting" | "unreadable" | "full" | "busy";

export interface Reaction extends NewReaction {
  user: string;
}

interface Waiting {
  reaction: Reaction;
  resolve: (outcome: CommitOutcome) => void;
  reject: (err: unknown) => void;
}

/** Conflicting writes (the operator compacting, another replica appending) retried per batch at most. */
const MAX_ATTEMPTS = 20;

export class ReactionCommitter {
  /** Per Artwork, the reactions waiting for the next write; present while a writer drains it. */
  private readonly queues = new Map<string, Waiting[]>();

  constructor(private readonly ctx: OperatorContext) {}

  /** Resolves once the reaction is durably in the Artwork's log, or says why it is not. */
  submit(namespace: string, name: string, reaction: Reaction): Promise<CommitOutcome> {
    const key = `${namespace}/${name}`;
    return new Promise((resolve, reject) => {
      const waiting = { reaction, resolve, reject };
      const queue = this.queues.get(key);
      if (queue) {
        queue.push(waiting);
        return;
      }
      this.queues.set(key, [waiting]);
      void this.drain(key, namespace, name);
    });
  }

  private async drain(key: string, namespace: string, name: string) {
    const queue = this.queues.get(key)!;
    // The Artwork as this drain's last write left it: the next batch starts from it, saving a read
    // unless someone else wrote meanwhile (then the write conflicts and the Artwork is read).
    let written: Artwork | undefined;
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        const result = await this.commit(
          namespace,
          name,
          batch.map((w) => w.reaction),
          written,
        );
        written = result.written;
        batch.forEach((w, i) => w.resolve(result.outcomes[i]!));
      } catch (err) {
        written = undefined;
        for (const w of batch) w.reject(err);
      }
    }
    this.queues.delete(key);
  }

  /**
   * Appends `reactions` in one write conditional on the Artwork as read (`known`, else read now);
   * retries on conflict with the Artwork read afresh.
   */
  private async commit(
    namespace: string,
    name: string,
    reactions: Reaction[],
    known: Artwork | undefined,
  ): Promise<{ outcomes: CommitOutcome[]; written?: Artwork }> {
    const all = (outcome: CommitOutcome) => ({ outcomes: reactions.map(() => outcome) });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let art: Artwork;
      try {
        art =
          (attempt === 0 ? known : undefined) ??
          (await this.ctx.client.get<Artwork>(ARTWORK, namespace, name));
      } catch (err) {
        if (isNotFound(err)) return all("not-found");
        throw err;
      }
      if (art.metadata.deletionTimestamp) return all("deleting");
      const { log, problem } = readFeedbackLog(art);
      if (problem) return all("unreadable");
      // Compacting what is folded already makes room, in the same write.
      const { pools, learning } = this.ctx.caches;
      const target = feedbackTarget(art, pools);
      const current = compactLog(log, foldedSeq(learning.get(target.namespace, target.name)?.status, art));
      const outcomes: CommitOutcome[] = [];
      const fresh: Reaction[] = [];
      const slots: number[] = [];
      reactions.forEach((r, i) => {
        const repeated =
          r.source && (hasRequest(current, r.source) || fresh.some((f) => f.source === r.source));
        outcomes.push("written");
        if (!repeated) {
          fresh.push(r);
          slots.push(i);
        }
      });
      const { log: next, taken } = appendReactions(current, fresh, learningStateKeyOf(art, pools).name);
      // Full as last written, perhaps not as compacted since: read it before asking anyone to retry.
      if (taken < fresh.length && art === known) continue;
      for (const i of slots.slice(taken)) outcomes[i] = "full";
      if (next === log) return { outcomes, written: art };
      let written: Artwork;
      try {
        written = await this.ctx.client.patchMetadataOf(ARTWORK, art, {
          annotations: { [FEEDBACK_LOG_ANNOTATION]: serializeLog(next) },
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        continue;
      }
      if (taken > 0)
        this.ctx.log.info(
          {
            artwork: objectKey(art),
            reactions: taken,
            users: [...new Set(fresh.slice(0, taken).map((r) => r.user))],
          },
          "accepted reactions through the feedback API",
        );
      return { outcomes, written };
    }
    return all("busy");
  }
}
