// Kubernetes Events for transitions, so `kubectl describe` and `kubectl events` tell the story.
import { CoreV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";
import { keyToString } from "./object-key.ts";

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly component: string,
    private readonly log: Logger,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Fire and forget: an Event that cannot be written must not fail a reconcile. */
  record(obj: KubernetesObject, type: EventType, reason: string, message: string) {
    const namespace = obj.metadata?.namespace ?? "default";
    const now = new Date();
    void this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${obj.metadata?.name ?? "object"}.`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata?.name,
            namespace,
            uid: obj.metadata?.uid,
            resourceVersion: obj.metadata?.resourceVersion,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((err: unknown) =>
        this.log.warn(
          { err: String(err), reason, object: keyToString({ namespace, name: obj.metadata?.name ?? "" }) },
          "event write failed",
        ),
      );
  }
}
