// The conditions an Artwork carries for each phase, shaped for kstatus: Reconciling while work
// is under way, Stalled when it cannot go on without a person, Ready when the images are there.
import type { ArtworkPhase } from "./artwork.ts";
import { setCondition, type Condition } from "./condition.ts";

export interface PhaseChange {
  phase: ArtworkPhase;
  reason: string;
  message: string;
  /** Waiting for a person to fix something (missing pool, unknown model): Stalled without being final. */
  stalled?: boolean;
}

export function artworkConditions(
  existing: readonly Condition[] | undefined,
  change: PhaseChange,
  generation: number | undefined,
  now = new Date(),
): Condition[] {
  const { phase, reason, message } = change;
  const g = generation === undefined ? {} : { observedGeneration: generation };
  const succeeded = phase === "Succeeded";
  const stalled = phase === "Failed" || change.stalled === true;
  let list = setCondition(
    existing,
    { type: "Ready", status: succeeded ? "True" : "False", reason, message, ...g },
    now,
  );
  list = setCondition(
    list,
    { type: "Reconciling", status: succeeded || stalled ? "False" : "True", reason, message, ...g },
    now,
  );
  list = setCondition(
    list,
    { type: "Stalled", status: stalled ? "True" : "False", reason, message, ...g },
    now,
  );
  return list;
}

export const ACTIVE_PHASES: readonly ArtworkPhase[] = ["Scheduled", "Generating", "Curating"];
export const TERMINAL_PHASES: readonly ArtworkPhase[] = ["Succeeded", "Failed"];

export function isActive(phase: ArtworkPhase | undefined) {
  return phase !== undefined && ACTIVE_PHASES.includes(phase);
}

export function isTerminal(phase: ArtworkPhase | undefined) {
  return phase !== undefined && TERMINAL_PHASES.includes(phase);
}
