import { Conditions } from "./condition.ts";
import { cel, NumberMap, ObjectMeta, StringEnum, Type, type Static } from "./schema.ts";

export const FEEDBACK_ACTIONS = ["like", "love", "download", "share", "delete"] as const;
export type FeedbackAction = (typeof FEEDBACK_ACTIONS)[number];

export const POLICY_ALGORITHMS = ["epsilon-greedy", "thompson"] as const;

/** What an omitted field of a LearningState's spec means; the schema's `default`s are these. */
export const LEARNING_DEFAULTS = {
  algorithm: "epsilon-greedy" as (typeof POLICY_ALGORITHMS)[number],
  epsilon: 0.15,
  rewards: { like: 1, love: 2, download: 1.5, share: 2, delete: -2 } as Record<FeedbackAction, number>,
  halfLifeHours: 168,
};
const D = LEARNING_DEFAULTS;
/** CEL needs a double literal where the field is a number: 2.0, not 2. */
const celNumber = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

const Reward = (value: number, action: string) =>
  Type.Optional(
    Type.Number({ minimum: -100, maximum: 100, default: value, description: `Reward for a ${action}.` }),
  );

export const LearningStateSpec = Type.Object({
  policy: Type.Optional(
    Type.Object(
      {
        algorithm: Type.Optional(
          StringEnum(POLICY_ALGORITHMS, {
            default: D.algorithm,
            description: "epsilon-greedy or thompson.",
          }),
        ),
        epsilon: Type.Optional(
          Type.Number({
            minimum: 0,
            maximum: 1,
            default: D.epsilon,
            description: "Share of choices that explore (0-1).",
          }),
        ),
      },
      { default: {}, description: "How a model is chosen when an Artwork leaves spec.model out." },
    ),
  ),
  rewards: Type.Optional(
    Type.Object(
      {
        like: Reward(D.rewards.like, "like"),
        love: Reward(D.rewards.love, "love"),
        download: Reward(D.rewards.download, "download"),
        share: Reward(D.rewards.share, "share"),
        delete: Reward(D.rewards.delete, "delete"),
      },
      {
        default: {},
        description: "Reward per reaction.",
        ...cel({
          rule: `(has(self.love) ? self.love : ${celNumber(D.rewards.love)}) >= (has(self.like) ? self.like : ${celNumber(D.rewards.like)}) && (!has(self.delete) || self.delete <= 0.0)`,
          message: "spec.rewards: love must reward at least as much as like, and delete must not be positive",
        }),
      },
    ),
  ),
  decay: Type.Optional(
    Type.Object(
      {
        halfLifeHours: Type.Optional(
          Type.Number({
            minimum: 0.01,
            maximum: 87600,
            default: D.halfLifeHours,
            description: "Hours after which a reaction counts half, so drifting taste is followed.",
            // The OpenAPI minimum truncates an integral value such as 0 to an integer before comparing.
            ...cel({ rule: "self > 0.0", message: "spec.decay.halfLifeHours must be greater than 0" }),
          }),
        ),
      },
      { default: {} },
    ),
  ),
});
export type LearningStateSpec = Static<typeof LearningStateSpec>;

const Stat = Type.Object({
  count: Type.Number({ minimum: 0 }),
  mean: Type.Number(),
  weightedRewardMean: Type.Optional(Type.Number()),
});

export const Arm = Type.Object({
  model: Type.String(),
  mood: Type.String(),
  pulls: Type.Number({ minimum: 0, description: "Decayed count of rewarded reactions." }),
  rewardSum: Type.Number({ description: "Decayed sum of rewards." }),
  mean: Type.Number({ description: "rewardSum / pulls." }),
  updated: Type.Optional(Type.String({ format: "date-time" })),
});
export type Arm = Static<typeof Arm>;

/** Days status.history keeps: a fold drops the days before the last HISTORY_DAYS. */
export const HISTORY_DAYS = 90;
/** Arms one day of history holds at most (the most pulled, when more were folded that day). */
export const HISTORY_ARMS_PER_DAY = 64;

export const HistoryDay = Type.Object({
  day: Type.String({
    pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    maxLength: 10,
    description: "The UTC day, YYYY-MM-DD.",
  }),
  events: NumberMap({ description: "Reactions made on the day (by their time) and folded, per action." }),
  arms: Type.Array(
    Type.Object({
      model: Type.String(),
      mood: Type.String(),
      mean: Type.Number({ description: "The arm's mean reward after the day's last fold of it." }),
      pulls: Type.Number({ minimum: 0, description: "Its decayed pulls then." }),
    }),
    { maxItems: HISTORY_ARMS_PER_DAY, description: "Each arm folded on the day (by fold time)." },
  ),
});
export type HistoryDay = Static<typeof HistoryDay>;

export const LearningStateStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Conditions),
  arms: Type.Optional(Type.Array(Arm, { maxItems: 1024 })),
  parameters: Type.Optional(
    Type.Array(
      Type.Object({
        model: Type.String(),
        mood: Type.String(),
        steps: Stat,
        guidanceScale: Stat,
      }),
      { maxItems: 1024 },
    ),
  ),
  promptPatterns: Type.Optional(
    Type.Array(
      Type.Object({ term: Type.String(), score: Type.Number(), count: Type.Number({ minimum: 0 }) }),
      { maxItems: 200, description: "Prompt words of well-received artworks, best first." },
    ),
  ),
  events: Type.Optional(NumberMap({ description: "Reactions folded, per action, counted exactly once." })),
  folded: Type.Optional(
    NumberMap({
      description: "Per Artwork UID, the highest reaction sequence number folded; makes folding idempotent.",
    }),
  ),
  lastFoldTime: Type.Optional(Type.String({ format: "date-time" })),
  history: Type.Optional(
    Type.Array(HistoryDay, {
      maxItems: HISTORY_DAYS,
      description: `What was learned per day, oldest first, for the last ${HISTORY_DAYS} days; written with the fold, so counted exactly once like events.`,
    }),
  ),
});
export type LearningStateStatus = Static<typeof LearningStateStatus>;

export const LearningState = Type.Object({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  metadata: ObjectMeta,
  spec: LearningStateSpec,
  status: Type.Optional(LearningStateStatus),
});
export type LearningState = Static<typeof LearningState>;
