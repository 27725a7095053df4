// Reacting to Artworks in integration tests: through the operator's feedback API as the local
// admin, and reading back what the LearningStates counted.
import { ARTWORK, LEARNING_STATE } from "../../crds/api.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import { aria } from "./artworks.ts";
import { controlPlane, servingTls } from "./cluster.ts";
import { postReaction } from "./feedback-client.ts";

/** Posts one reaction as the local admin until it is accepted; see postReaction. */
export function viaApi(
  securePort: () => Promise<number>,
  namespace: string,
  artwork: string,
  action: string,
  requestId?: string,
): Promise<number> {
  const api = { securePort, token: controlPlane().tokens.admin, ca: servingTls().ca };
  return postReaction(api, namespace, artwork, action, requestId);
}

/** Reactions folded into the LearningState, all actions together (0 when it does not exist yet). */
export async function foldedTotal(namespace: string, name: string) {
  try {
    const ls = await aria().get<LearningState>(LEARNING_STATE, namespace, name);
    return Object.values(ls.status?.events ?? {}).reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

/**
 * Makes the Artwork look rendered by aria-painter, as a worker's final write would, so reactions
 * to it are learned from without running a render.
 */
export async function markRendered(namespace: string, name: string) {
  await aria().patchStatus(ARTWORK, namespace, name, { phase: "Succeeded", model: "aria-painter" });
}
