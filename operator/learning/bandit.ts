// The learning algorithm, pure: arms per (model, mood), folded rewards with exponential decay,
// and model choice by epsilon-greedy or Thompson sampling. No Kubernetes here.
import { LEARNING_DEFAULTS, type Arm, type LearningStateSpec } from "../../crds/learning-state.ts";

export type Random = () => number;

export interface Choice {
  model: string;
  reason: "explore" | "exploit";
}

export function armKey(model: string, mood: string) {
  return `${model}/${mood}`;
}

/** Weight of a past observation `ageMs` old under the spec's half-life. */
export function decayFactor(ageMs: number, halfLifeHours = LEARNING_DEFAULTS.halfLifeHours) {
  if (ageMs <= 0) return 1;
  return Math.pow(0.5, ageMs / (halfLifeHours * 3_600_000));
}

/** The arm as it stands at `now`: pulls and reward decayed since its last update. */
export function decayedArm(arm: Arm, now: Date, halfLifeHours?: number): Arm {
  const age = arm.updated ? now.getTime() - Date.parse(arm.updated) : 0;
  const f = decayFactor(age, halfLifeHours);
  const pulls = arm.pulls * f;
  const rewardSum = arm.rewardSum * f;
  return { ...arm, pulls, rewardSum, mean: pulls > 0 ? rewardSum / pulls : 0 };
}

/** Folds one reward into an arm (creating it when absent); returns the new arm list. */
export function foldReward(
  arms: readonly Arm[],
  model: string,
  mood: string,
  reward: number,
  now: Date,
  halfLifeHours?: number,
): Arm[] {
  const list = [...arms];
  const index = list.findIndex((a) => a.model === model && a.mood === mood);
  const base =
    index >= 0
      ? decayedArm(list[index]!, now, halfLifeHours)
      : { model, mood, pulls: 0, rewardSum: 0, mean: 0 };
  const pulls = base.pulls + 1;
  const rewardSum = base.rewardSum + reward;
  const next: Arm = { ...base, pulls, rewardSum, mean: rewardSum / pulls, updated: now.toISOString() };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/**
 * Chooses a generator for `mood` among `models`. Epsilon-greedy explores uniformly with
 * probability ε and otherwise exploits the best decayed mean (an unseen arm counts as 0, so
 * a model with only bad reactions loses to one nobody has judged). Thompson sampling draws from a
 * Normal posterior per arm.
 */
export function chooseModel(
  spec: LearningStateSpec,
  arms: readonly Arm[],
  models: readonly string[],
  mood: string,
  now: Date,
  random: Random = Math.random,
): Choice {
  if (models.length === 0) throw new Error("no generator models to choose from");
  const halfLife = spec.decay?.halfLifeHours;
  const stats = models.map((model) => {
    const arm = arms.find((a) => a.model === model && a.mood === mood);
    return { model, arm: arm ? decayedArm(arm, now, halfLife) : undefined };
  });
  if (models.length === 1) return { model: models[0]!, reason: "exploit" };

  if ((spec.policy?.algorithm ?? LEARNING_DEFAULTS.algorithm) === "thompson") {
    let best = stats[0]!;
    let bestDraw = -Infinity;
    for (const s of stats) {
      const n = s.arm?.pulls ?? 0;
      const mean = s.arm?.mean ?? 0;
      const draw = mean + gaussian(random) / Math.sqrt(n + 1);
      if (draw > bestDraw) [best, bestDraw] = [s, draw];
    }
    const greedy = greedyModel(stats);
    return { model: best.model, reason: best.model === greedy ? "exploit" : "explore" };
  }

  const epsilon = spec.policy?.epsilon ?? LEARNING_DEFAULTS.epsilon;
  if (random() < epsilon) {
    return { model: models[Math.floor(random() * models.length)]!, reason: "explore" };
  }
  return { model: greedyModel(stats), reason: "exploit" };
}

function greedyModel(stats: Array<{ model: string; arm?: Arm }>) {
  let best = stats[0]!;
  for (const s of stats) if ((s.arm?.mean ?? 0) > (best.arm?.mean ?? 0)) best = s;
  return best.model;
}

function gaussian(random: Random) {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
