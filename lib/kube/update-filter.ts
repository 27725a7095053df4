// controller-runtime's update predicates: an update event a reconciler has no use for costs it
// nothing. Many writes to a busy object change only fields nobody reconciles on (a worker's
// progress, say), so such an update is skipped.
import type { KubernetesObject } from "@kubernetes/client-node";

/** False skips an update event. */
export type UpdateFilter<O> = (obj: O, old: O) => boolean;

/**
 * Passes an update unless it changed nothing but the given status fields (and the
 * resourceVersion and managedFields every write changes). One filter may serve several
 * controllers: each cached object is serialised once, however many ask.
 */
export function changedBeyondStatus<O extends KubernetesObject & { status?: object }>(
  ...ignored: string[]
): UpdateFilter<O> {
  const serialised = new WeakMap<O, string>();
  const relevant = (obj: O): string => {
    let text = serialised.get(obj);
    if (text === undefined) {
      const { resourceVersion: _version, managedFields: _fields, ...metadata } = obj.metadata ?? {};
      const status: Record<string, unknown> = { ...obj.status };
      for (const field of ignored) delete status[field];
      text = JSON.stringify({ ...obj, metadata, status });
      serialised.set(obj, text);
    }
    return text;
  };
  return (obj, old) => relevant(obj) !== relevant(old);
}
