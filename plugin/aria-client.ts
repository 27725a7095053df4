// The cluster as the plugin sees it: the current kubeconfig context and its namespace, as kubectl
// uses them, and errors turned into one line that says what to do.
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { ARTWORK, type KindDefinition } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import { CustomObjectClient } from "../lib/kube/custom-object-client.ts";

export interface GlobalOptions {
  namespace?: string;
  context?: string;
}

export class AriaClient {
  readonly objects: CustomObjectClient;
  readonly namespace: string;

  constructor(
    readonly kc: KubeConfig,
    namespace?: string,
  ) {
    this.objects = new CustomObjectClient(kc);
    this.namespace = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  }

  static fromKubeconfig(o: GlobalOptions): AriaClient {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    if (o.context) kc.setCurrentContext(o.context);
    return new AriaClient(kc, o.namespace);
  }

  artwork(name: string): Promise<Artwork> {
    return this.get<Artwork>(ARTWORK, name);
  }

  get<T extends KubernetesObject>(kind: KindDefinition, name: string): Promise<T> {
    return this.objects.get<T>(kind, this.namespace, name).catch((error: unknown) => {
      throw explain(error, `${kind.singular} "${name}" in namespace "${this.namespace}"`);
    });
  }

  async list<T extends KubernetesObject>(kind: KindDefinition): Promise<T[]> {
    try {
      const list = (await this.objects.api.listNamespacedCustomObject({
        group: kind.group,
        version: kind.version,
        plural: kind.plural,
        namespace: this.namespace,
      })) as { items: T[] };
      return list.items;
    } catch (error) {
      throw explain(error, `${kind.plural} in namespace "${this.namespace}"`);
    }
  }

  /** Where the API server is, for messages. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? "(no cluster in the kubeconfig)";
  }
}

/** A failed API call as one line a person can act on. */
export function explain(error: unknown, what: string): Error {
  const status = (error as { code?: number }).code;
  const body = (error as { body?: unknown }).body;
  const message = typeof body === "string" ? safeMessage(body) : undefined;
  if (status === 404) return new Error(`${what} was not found; list them with: kubectl aria get`);
  if (status === 401)
    return new Error(`the cluster refused your credentials for ${what}; log in again (kubectl config view)`);
  if (status === 403)
    return new Error(
      `you may not read or change ${what}: ${message ?? "forbidden"}; ask for access to aria.dev resources`,
    );
  if (status !== undefined && message) return new Error(`${what}: ${message}`);
  const cause = (error as Error).message ?? String(error);
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|fetch failed/.test(cause))
    return new Error(
      `cannot reach the cluster for ${what} (${cause}); check the current context: kubectl config current-context`,
    );
  return new Error(`${what}: ${cause}`);
}

function safeMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body.slice(0, 300) || undefined;
  }
}
