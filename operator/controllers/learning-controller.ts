// Folds the reactions of a LearningState's Artworks into its status. The fold and the record of
// what was folded (status.folded, per Artwork UID) land in one optimistic write, so a reaction
// counts exactly once across restarts and concurrent writers.
import { API_VERSION, LEARNING_STATE } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { setCondition } from "../../crds/condition.ts";
import { effectiveSpec } from "../../crds/effective-spec.ts";
import type { LearningState, LearningStateStatus } from "../../crds/learning-state.ts";
import type { Controller, Reconciler } from "../../lib/kube/controller.ts";
import { isConflict } from "../../lib/kube/kube-errors.ts";
import { keyToString, objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import { ObjectSeries } from "../../lib/observability/object-series.ts";
import { learningStateKeyOf, learningStateName, type OperatorContext } from "../context.ts";
import { foldReactions, type ArtworkReactions } from "../learning/feedback-fold.ts";
import { feedbackLog } from "../learning/feedback-log.ts";

/**
 * The status write that folds `artworks`' new reactions into `ls`, or undefined when there is
 * nothing new, nothing to prune and the generation is observed (pure).
 */
export function learningPatch(
  ls: LearningState,
  artworks: readonly Artwork[],
  now: Date,
): { patch: LearningStateStatus; folded: number; pruned: number } | undefined {
  const reactions = artworks.flatMap((a) => toReactions(a) ?? []);
  const { status, folded } = foldReactions(ls.spec, ls.status ?? {}, reactions, now);
  // Forget Artworks that are gone: their UIDs never come back, so their reactions cannot recur.
  const live = new Set(artworks.map((a) => a.metadata.uid));
  const prune: Record<string, null> = {};
  for (const uid of Object.keys(status.folded ?? {})) if (!live.has(uid)) prune[uid] = null;
  const pruned = Object.keys(prune).length;
  if (folded === 0 && pruned === 0 && ls.status?.observedGeneration === ls.metadata.generation)
    return undefined;
  const total = Object.values(status.events ?? {}).reduce((a, b) => a + b, 0);
  const patch: LearningStateStatus = {
    ...status,
    folded: { ...status.folded, ...prune } as Record<string, number>,
    observedGeneration: ls.metadata.generation,
    conditions: setCondition(
      ls.status?.conditions,
      {
        type: "Ready",
        status: "True",
        reason: "Folded",
        message: `${total} reactions folded`,
        observedGeneration: ls.metadata.generation,
      },
      now,
    ),
  };
  return { patch, folded, pruned };
}

export class LearningController implements Reconciler {
  /** Arm gauges per LearningState: arms that age out and deleted LearningStates leave no series. */
  private readonly series = new ObjectSeries();

  constructor(private readonly ctx: OperatorContext) {}

  setup(c: Controller) {
    const { caches } = this.ctx;
    c.watch(caches.learning);
    c.watch(caches.artworks, (a) =>
      feedbackLog(a).length === 0 ? undefined : learningStateKeyOf(a, caches.pools),
    );
  }

  async reconcile(key: ObjectKey): Promise<void> {
    const ls = this.ctx.caches.learning.get(key.namespace, key.name);
    if (!ls) {
      this.series.release(keyToString(key));
      return this.create(key);
    }
    const pools = new Set(
      this.ctx.caches.pools
        .list(key.namespace)
        .filter((p) => learningStateName(p) === key.name)
        .map((p) => p.metadata.name),
    );
    const artworks = this.ctx.caches.artworks
      .list(key.namespace)
      .filter((a) => pools.has(a.spec.poolRef.name));
    const result = learningPatch(ls, artworks, new Date());
    if (!result) return;
    const { patch, folded, pruned } = result;
    // A conflict throws and the key is retried against the fresh cache; nothing is counted twice.
    await this.ctx.client.patchStatusOf(LEARNING_STATE, ls, patch);

    const before = ls.status?.events ?? {};
    for (const [action, n] of Object.entries(patch.events ?? {})) {
      const delta = n - (before[action] ?? 0);
      if (delta > 0) this.ctx.metrics.feedback.inc({ namespace: key.namespace, action }, delta);
    }
    const { learningScore, learningSamples } = this.ctx.metrics;
    this.series.publish(
      keyToString(key),
      (patch.arms ?? []).flatMap((arm) => {
        const labels = {
          namespace: key.namespace,
          learningstate: key.name,
          model: arm.model,
          mood: arm.mood,
        };
        return [
          { gauge: learningScore, labels, value: arm.mean },
          { gauge: learningSamples, labels, value: arm.pulls },
        ];
      }),
    );
    if (folded > 0) {
      this.ctx.events.record(ls, "Normal", "Folded", `folded ${folded} reaction(s)`);
      this.ctx.log.info({ learningstate: objectKey(ls), folded, pruned }, "folded reactions");
    }
  }

  /**
   * Reactions arrived for a pool whose LearningState nobody created: make one with the defaults
   * (created only now, so a user's own LearningState applied with the pool never races it).
   */
  private async create(key: ObjectKey) {
    try {
      await this.ctx.client.create<LearningState>(LEARNING_STATE, key.namespace, {
        apiVersion: API_VERSION,
        kind: "LearningState",
        metadata: {
          name: key.name,
          namespace: key.namespace,
          labels: { "app.kubernetes.io/managed-by": "aria-operator" },
        },
        spec: {},
      });
      this.ctx.log.info({ learningstate: keyToString(key) }, "created learning state with default policy");
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

function toReactions(art: Artwork): ArtworkReactions | undefined {
  const log = feedbackLog(art);
  const model = art.status?.model;
  if (log.length === 0 || !model || !art.metadata.uid) return undefined;
  return {
    uid: art.metadata.uid,
    model,
    mood: effectiveSpec(art.spec).mood,
    prompt: art.spec.prompt,
    steps: art.status?.steps ?? art.spec.steps,
    guidanceScale: art.status?.guidanceScale ?? art.spec.guidanceScale,
    log,
  };
}
