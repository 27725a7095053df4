import { randomUUID } from "node:crypto";
import { ARTWORK } from "../../crds/api.ts";
import { FEEDBACK_ACTIONS, type FeedbackAction } from "../../crds/learning-state.ts";
import { FEEDBACK_ANNOTATION, FEEDBACK_REQUEST_ANNOTATION } from "../../crds/worker-protocol.ts";
import { explain, type AriaClient } from "../aria-client.ts";

const WAIT_MS = 200;
const GIVE_UP_MS = 15_000;

/**
 * `kubectl aria react NAME love`: the reaction annotation with a request id of its own, so a retry
 * is taken once. It waits while an earlier reaction is still in the annotation (the operator takes
 * it within a moment) instead of overwriting it, and writes against the version it read.
 */
export async function react(client: AriaClient, name: string, action: string): Promise<void> {
  if (!(FEEDBACK_ACTIONS as readonly string[]).includes(action)) {
    throw new Error(`unknown reaction ${JSON.stringify(action)}; use one of ${FEEDBACK_ACTIONS.join(", ")}`);
  }
  const request = randomUUID();
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const art = await client.artwork(name);
    const pending = art.metadata.annotations?.[FEEDBACK_ANNOTATION];
    if (pending === undefined) {
      try {
        await client.objects.patchMetadata(
          ARTWORK,
          client.namespace,
          name,
          {
            annotations: {
              [FEEDBACK_ANNOTATION]: action as FeedbackAction,
              [FEEDBACK_REQUEST_ANNOTATION]: request,
            },
          },
          art.metadata.resourceVersion,
        );
        console.log(`artwork.aria.dev/${name}: ${action} sent (request ${request})`);
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw explain(error, `artwork "${name}"`);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `artwork "${name}" still holds an earlier reaction (${pending}) the operator has not taken; is the operator running? (kubectl get pods -l app.kubernetes.io/name=aria)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  }
}
