// Which namespaces are open to anonymous visitors (crds/gallery-labels.ts), read from the API
// server and kept for the review cache's TTL, so a label removed closes the gallery as soon as a
// revoked permission would.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { LRUCache } from "lru-cache";
import { PUBLIC, PUBLIC_GALLERY_LABEL, PUBLIC_REACTIONS_LABEL } from "../../crds/gallery-labels.ts";
import { isApiUnavailable } from "../../lib/kube/kube-errors.ts";
import { ReviewUnavailableError, type ReviewedUser } from "../../lib/kube/access-reviewer.ts";

export interface PublicAccess {
  view: boolean;
  react: boolean;
}

const CLOSED: PublicAccess = { view: false, react: false };

/** The identity anonymous requests are reviewed and logged as. */
export const ANONYMOUS: ReviewedUser = { username: "system:anonymous", groups: ["system:unauthenticated"] };

export function isAnonymous(user: ReviewedUser) {
  return user === ANONYMOUS;
}

export class PublicNamespaces {
  private readonly core: CoreV1Api;
  private readonly cache: LRUCache<string, PublicAccess>;

  constructor(kc: KubeConfig, ttlMs: number) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.cache = new LRUCache<string, PublicAccess>({
      max: 1000,
      ttl: ttlMs,
      fetchMethod: (name) => this.read(name),
    });
  }

  async access(namespace: string): Promise<PublicAccess> {
    return (await this.cache.fetch(namespace)) ?? CLOSED;
  }

  private async read(name: string): Promise<PublicAccess> {
    try {
      const labels = (await this.core.readNamespace({ name })).metadata?.labels ?? {};
      const view = labels[PUBLIC_GALLERY_LABEL] === PUBLIC;
      // Reactions without viewing would be reactions to what one cannot see.
      return { view, react: view && labels[PUBLIC_REACTIONS_LABEL] === PUBLIC };
    } catch (err) {
      if (isApiUnavailable(err)) throw new ReviewUnavailableError(String(err));
      // Not found, or not ours to read: closed.
      return CLOSED;
    }
  }
}
