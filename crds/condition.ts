import { StringEnum, Type, type Static } from "./schema.ts";
import { rfc3339 } from "./timestamp.ts";

/** metav1.Condition, as the Kubernetes API conventions and kstatus expect it. */
export const Condition = Type.Object({
  type: Type.String({ maxLength: 316, description: "Type of condition in CamelCase, such as Ready." }),
  status: StringEnum(["True", "False", "Unknown"] as const),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: "date-time" }),
  reason: Type.String({
    maxLength: 1024,
    minLength: 1,
    description: "CamelCase reason for the last transition.",
  }),
  message: Type.String({ maxLength: 32768 }),
});
export type Condition = Static<typeof Condition>;

export const Conditions = Type.Array(Condition, {
  maxItems: 16,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
  description: "Latest observations of the object's state, keyed by type.",
});

export interface ConditionInput {
  type: string;
  status: Condition["status"];
  reason: string;
  message: string;
  observedGeneration?: number;
}

/**
 * Returns the conditions with one set, keeping lastTransitionTime when the status did not change
 * (the meta.SetStatusCondition contract).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now = new Date(),
) {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === input.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    lastTransitionTime:
      previous && previous.status === input.status ? previous.lastTransitionTime : rfc3339(now),
    ...(input.observedGeneration !== undefined ? { observedGeneration: input.observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string) {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string) {
  return findCondition(conditions, type)?.status === "True";
}
