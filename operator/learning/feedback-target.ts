// Which LearningState folds an Artwork's unfolded reactions: the one its log names (set with the
// first of them), so that re-pointing or re-creating the pool cannot have a second LearningState
// fold what the first already did; an Artwork without one follows its pool.
import type { Artwork } from "../../crds/artwork.ts";
import type { ObjectKey } from "../../lib/kube/object-key.ts";
import { learningStateKeyOf, type Caches } from "../context.ts";
import { readFeedbackLog } from "./feedback-log.ts";

export function feedbackTarget(art: Artwork, pools: Caches["pools"]): ObjectKey {
  const into = readFeedbackLog(art).log.into;
  return into ? { namespace: art.metadata.namespace ?? "", name: into } : learningStateKeyOf(art, pools);
}
