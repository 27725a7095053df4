// How an object is named in queues, caches and logs: namespace/name, as client-go's
// MetaNamespaceKeyFunc writes it.
import type { KubernetesObject } from "@kubernetes/client-node";

export interface ObjectKey {
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export function keyOf(obj: KubernetesObject): ObjectKey {
  return { namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" };
}

export function keyToString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

export function keyFromString(key: string): ObjectKey {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: "", name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** `namespace/name` of an object, for log fields and maps. */
export function objectKey(obj: KubernetesObject): string {
  return keyToString(keyOf(obj));
}
