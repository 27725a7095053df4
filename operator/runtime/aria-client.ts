// Typed reads and writes of Aria's resources. Status goes through the /status subresource;
// optimistic writes carry metadata.resourceVersion so a concurrent change fails with 409
// instead of being overwritten, and fenced writes use JSON Patch `test` operations.
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { GROUP, VERSION, type KindDefinition } from "../../crds/api.ts";

export type JsonPatchOp =
  { op: "test" | "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const json = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

export class AriaClient {
  readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private target(kind: KindDefinition, namespace: string, name: string) {
    return { group: GROUP, version: VERSION, plural: kind.plural, namespace, name };
  }

  async get<T extends KubernetesObject>(kind: KindDefinition, namespace: string, name: string): Promise<T> {
    return (await this.api.getNamespacedCustomObject(this.target(kind, namespace, name))) as T;
  }

  async create<T extends KubernetesObject>(kind: KindDefinition, namespace: string, body: T): Promise<T> {
    return (await this.api.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: kind.plural,
      namespace,
      body,
    })) as T;
  }

  async delete(kind: KindDefinition, namespace: string, name: string) {
    await this.api.deleteNamespacedCustomObject(this.target(kind, namespace, name));
  }

  /** Merge-patches status; with `resourceVersion` the write fails with 409 if the object changed. */
  async patchStatus<T extends KubernetesObject>(
    kind: KindDefinition,
    namespace: string,
    name: string,
    status: object,
    resourceVersion?: string,
  ): Promise<T> {
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    return (await this.api.patchNamespacedCustomObjectStatus(
      { ...this.target(kind, namespace, name), body },
      merge,
    )) as T;
  }

  /** JSON-patches status; a failing `test` op rejects the whole patch (HTTP 422). */
  async jsonPatchStatus<T extends KubernetesObject>(
    kind: KindDefinition,
    namespace: string,
    name: string,
    ops: JsonPatchOp[],
  ): Promise<T> {
    return (await this.api.patchNamespacedCustomObjectStatus(
      { ...this.target(kind, namespace, name), body: ops },
      json,
    )) as T;
  }

  /** Merge-patches metadata (labels, annotations, finalizers) with an optional resourceVersion precondition. */
  async patchMetadata<T extends KubernetesObject>(
    kind: KindDefinition,
    namespace: string,
    name: string,
    metadata: Record<string, unknown>,
    resourceVersion?: string,
  ): Promise<T> {
    const body = { metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
    return (await this.api.patchNamespacedCustomObject(
      { ...this.target(kind, namespace, name), body },
      merge,
    )) as T;
  }

  async jsonPatch<T extends KubernetesObject>(
    kind: KindDefinition,
    namespace: string,
    name: string,
    ops: JsonPatchOp[],
  ): Promise<T> {
    return (await this.api.patchNamespacedCustomObject(
      { ...this.target(kind, namespace, name), body: ops },
      json,
    )) as T;
  }
}

/** Escapes a key for a JSON Pointer (RFC 6901), e.g. an annotation name with a slash. */
export function pointerKey(key: string) {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}
