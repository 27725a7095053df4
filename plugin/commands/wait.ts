import type { Artwork } from "../../crds/artwork.ts";
import { findCondition } from "../../crds/condition.ts";
import type { AriaClient } from "../aria-client.ts";

const POLL_MS = 500;

/**
 * Polls the Artwork until it is Ready or can go no further (Stalled, or Failed), calling `onChange`
 * with each new state. Polling rather than a watch keeps a flaky connection from ending the wait.
 */
export async function waitForResult(
  client: AriaClient,
  name: string,
  timeoutMs: number,
  onChange: (art: Artwork) => void,
): Promise<Artwork> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const art = await client.artwork(name);
    onChange(art);
    const conditions = art.status?.conditions;
    if (findCondition(conditions, "Ready")?.status === "True") return art;
    if (art.status?.phase === "Failed" || findCondition(conditions, "Stalled")?.status === "True") return art;
    if (Date.now() > deadline) {
      throw new Error(
        `artwork "${name}" is still ${art.status?.phase ?? "Pending"} after ${Math.round(timeoutMs / 1000)}s; follow it with: kubectl get art ${name} -w`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The outcome in a line or two: the score and where the image is, or why it did not get there. */
export function describeResult(art: Artwork): string {
  const name = art.metadata.name;
  const s = art.status;
  if (s?.phase === "Succeeded" && s.selected) {
    const image = s.selected.images[0];
    return [
      `${name}: Succeeded with ${s.model}, score ${s.selected.score.toFixed(3)} (candidate ${s.selected.index} of ${s.candidates?.length ?? 1})`,
      `image: ${image?.uri ?? "(none)"}`,
      `save it with: kubectl aria save ${name}`,
    ].join("\n");
  }
  const reason = findCondition(s?.conditions, "Ready");
  return `${name}: ${s?.phase ?? "Pending"}: ${reason?.message ?? s?.message ?? "no reason given"}`;
}
