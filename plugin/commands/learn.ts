import { ARTWORK, LEARNING_STATE } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import { LEARNING_DEFAULTS, type LearningState } from "../../crds/learning-state.ts";
import type { AriaClient } from "../aria-client.ts";
import { formatTable } from "../table.ts";

const TOP_TERMS = 10;

/** `kubectl aria learn`: per LearningState, the best model per mood, how it explores, what prompts work. */
export async function learn(client: AriaClient, name?: string): Promise<void> {
  const states = name
    ? [await client.get<LearningState>(LEARNING_STATE, name)]
    : await client.list<LearningState>(LEARNING_STATE);
  if (states.length === 0) {
    console.log(
      `No LearningState in namespace "${client.namespace}"; apply one (samples/02-learningstate.yaml)`,
    );
    return;
  }
  const arts = await client.list<Artwork>(ARTWORK);
  const chosen = arts.filter(
    (a) => a.status?.modelReason === "explore" || a.status?.modelReason === "exploit",
  );
  const explored = chosen.filter((a) => a.status?.modelReason === "explore").length;
  for (const state of states) {
    const policy = state.spec.policy ?? {};
    const algorithm = policy.algorithm ?? LEARNING_DEFAULTS.algorithm;
    const rate =
      algorithm === "epsilon-greedy"
        ? `explore rate ${policy.epsilon ?? LEARNING_DEFAULTS.epsilon}`
        : "Thompson sampling";
    const observed = chosen.length > 0 ? `, ${explored} of ${chosen.length} choices here explored` : "";
    console.log(`${state.metadata.name}: ${algorithm} (${rate}${observed})`);
    const arms = state.status?.arms ?? [];
    const best = new Map<string, (typeof arms)[number]>();
    for (const arm of arms) {
      const current = best.get(arm.mood);
      if (!current || arm.mean > current.mean) best.set(arm.mood, arm);
    }
    if (best.size === 0) {
      console.log("no reactions folded yet: react with kubectl aria react NAME love");
    } else {
      const samples = (mood: string) => arms.filter((a) => a.mood === mood).reduce((n, a) => n + a.pulls, 0);
      console.log(
        formatTable(
          ["mood", "best model", "mean reward", "samples"],
          [...best.values()]
            .sort((a, b) => a.mood.localeCompare(b.mood))
            .map((a) => [a.mood, a.model, a.mean.toFixed(2), samples(a.mood).toFixed(1)]),
        ),
      );
    }
    const terms = (state.status?.promptPatterns ?? []).slice(0, TOP_TERMS);
    if (terms.length > 0)
      console.log(
        `prompt terms that work: ${terms.map((t) => `${t.term} (${t.score.toFixed(2)})`).join(", ")}`,
      );
  }
}
