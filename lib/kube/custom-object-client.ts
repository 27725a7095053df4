// Typed reads and writes of custom resources. Status goes through the /status subresource;
// optimistic writes carry metadata.resourceVersion so a concurrent change fails with 409
// instead of being overwritten, and fenced writes use JSON Patch `test` operations.
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";

/** Which collection a namespaced custom resource lives in. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
}

export type JsonPatchOp =
  { op: "test" | "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const json = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

export class CustomObjectClient {
  readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  private target(type: ResourceType, namespace: string, name: string) {
    return { group: type.group, version: type.version, plural: type.plural, namespace, name };
  }

  async get<T extends KubernetesObject>(type: ResourceType, namespace: string, name: string): Promise<T> {
    return (await this.api.getNamespacedCustomObject(this.target(type, namespace, name))) as T;
  }

  async create<T extends KubernetesObject>(type: ResourceType, namespace: string, body: T): Promise<T> {
    return (await this.api.createNamespacedCustomObject({
      group: type.group,
      version: type.version,
      plural: type.plural,
      namespace,
      body,
    })) as T;
  }

  /** Merge-patches status; with `resourceVersion` the write fails with 409 if the object changed. */
  async patchStatus<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    status: object,
    resourceVersion?: string,
  ): Promise<T> {
    const body = { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), status };
    return (await this.api.patchNamespacedCustomObjectStatus(
      { ...this.target(type, namespace, name), body },
      merge,
    )) as T;
  }

  /** Merge-patches the status of `obj` as it was read: fails with 409 if anyone wrote it since. */
  async patchStatusOf<T extends KubernetesObject>(type: ResourceType, obj: T, status: object): Promise<T> {
    const { namespace = "", name = "", resourceVersion } = obj.metadata ?? {};
    return this.patchStatus<T>(type, namespace, name, status, resourceVersion);
  }

  /** Merge-patches the metadata of `obj` as it was read: fails with 409 if anyone wrote it since. */
  async patchMetadataOf<T extends KubernetesObject>(
    type: ResourceType,
    obj: T,
    metadata: Record<string, unknown>,
  ): Promise<T> {
    const { namespace = "", name = "", resourceVersion } = obj.metadata ?? {};
    return this.patchMetadata<T>(type, namespace, name, metadata, resourceVersion);
  }

  /** JSON-patches status; a failing `test` op rejects the whole patch (HTTP 422). */
  async jsonPatchStatus<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    ops: JsonPatchOp[],
  ): Promise<T> {
    return (await this.api.patchNamespacedCustomObjectStatus(
      { ...this.target(type, namespace, name), body: ops },
      json,
    )) as T;
  }

  /** Merge-patches metadata (labels, annotations, finalizers) with an optional resourceVersion precondition. */
  async patchMetadata<T extends KubernetesObject>(
    type: ResourceType,
    namespace: string,
    name: string,
    metadata: Record<string, unknown>,
    resourceVersion?: string,
  ): Promise<T> {
    const body = { metadata: { ...metadata, ...(resourceVersion ? { resourceVersion } : {}) } };
    return (await this.api.patchNamespacedCustomObject(
      { ...this.target(type, namespace, name), body },
      merge,
    )) as T;
  }
}
