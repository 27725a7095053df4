// Helpers that keep TypeBox output inside what a Kubernetes structural schema accepts:
// enums as `enum` (not anyOf/const), maps as `additionalProperties`, CEL rules as
// `x-kubernetes-validations`. Every API type is built from these, so the TypeScript types
// and the CRD YAML come from one definition.
import { Type, type TSchema, type SchemaOptions, type Static } from "@sinclair/typebox";

export { Type, type Static, type TSchema };

export interface CelRule {
  rule: string;
  message: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  fieldPath?: string;
}

export function cel(...rules: CelRule[]): { "x-kubernetes-validations": CelRule[] } {
  return { "x-kubernetes-validations": rules };
}

export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });
}

export function StringMap(options: SchemaOptions = {}) {
  return Type.Unsafe<Record<string, string>>({
    ...options,
    type: "object",
    additionalProperties: { type: "string" },
  });
}

export function NumberMap(options: SchemaOptions = {}) {
  return Type.Unsafe<Record<string, number>>({
    ...options,
    type: "object",
    additionalProperties: { type: "number" },
  });
}

export function IntOrString(options: SchemaOptions = {}) {
  return Type.Unsafe<number | string>({ ...options, "x-kubernetes-int-or-string": true });
}

export function ResourceList(options: SchemaOptions = {}) {
  return Type.Unsafe<Record<string, number | string>>({
    ...options,
    type: "object",
    additionalProperties: Quantity(),
  });
}

/** A Kubernetes resource quantity such as 512Mi, 6Gi or 2, as resources.limits takes it. */
export function Quantity(options: SchemaOptions = {}) {
  return Type.Unsafe<number | string>({
    ...options,
    "x-kubernetes-int-or-string": true,
    pattern: QUANTITY_PATTERN,
  });
}

const QUANTITY_PATTERN =
  "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

/** A DNS-1123 label, as Kubernetes object names in references must be. */
export function Dns1123Label(options: SchemaOptions = {}) {
  return Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
    ...options,
  });
}

/** A DNS-1123 subdomain, as most Kubernetes object names are. */
export function Dns1123Subdomain(options: SchemaOptions = {}) {
  return Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    ...options,
  });
}

export function LocalObjectReference(description: string) {
  return Type.Object(
    { name: Dns1123Subdomain({ description: "Name of the referenced object." }) },
    { description },
  );
}

/** Kubernetes object metadata as a CRD schema sees it: the apiserver validates it itself. */
export const ObjectMeta = Type.Unsafe<import("@kubernetes/client-node").V1ObjectMeta>({ type: "object" });
