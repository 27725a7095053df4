// Kubernetes' delegated authentication and authorization, as aggregated API servers and
// kube-rbac-proxy do it: a caller's bearer token is checked with a TokenReview, and what it may do
// with a SubjectAccessReview. Both answers are cached (10 s by default, as Kubernetes' delegating
// authenticator and authorizer do), so a client retrying or reacting in bursts costs the API
// server one review per token and decision; concurrent asks for the same answer share one review.
import { createHash } from "node:crypto";
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { LRUCache } from "lru-cache";
import { isTransient, statusMessage } from "./kube-errors.ts";

/** Who a TokenReview says the caller is; passed back unchanged in SubjectAccessReviews. */
export interface ReviewedUser {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What the caller wants to do, in SubjectAccessReview's resourceAttributes terms. */
export interface ResourceAttributes {
  group: string;
  resource: string;
  verb: string;
  namespace: string;
  name?: string;
}

/** Seconds a client is asked to wait (Retry-After) when the API server cannot check it. */
export const REVIEW_RETRY_AFTER_SECONDS = 5;

/**
 * The API server could not answer a review (unreachable, timed out, throttling or failing): the
 * caller is neither accepted nor refused, so HTTP servers answer 503 with Retry-After.
 */
export class ReviewUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ReviewUnavailableError";
  }
}

export interface AccessReviewerOptions {
  kc: KubeConfig;
  /**
   * Audiences the token must be meant for (TokenReview spec.audiences); empty: the API server's
   * own. A service-account token minted for another service is then refused here.
   */
  audiences?: string[];
  /** How long an answer, yes or no, is reused. */
  ttlMs?: number;
  /** Answers kept at most (least recently used go first). */
  max?: number;
  /** A review the API server has not answered within this long counts as unavailable. */
  timeoutMs?: number;
}

type Authenticated = { user?: ReviewedUser };

export class AccessReviewer {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly audiences: string[];
  private readonly timeoutMs: number;
  private readonly users: LRUCache<string, Authenticated, string>;
  private readonly decisions: LRUCache<string, { allowed: boolean }, [ReviewedUser, ResourceAttributes]>;

  constructor(options: AccessReviewerOptions) {
    this.authn = options.kc.makeApiClient(AuthenticationV1Api);
    this.authz = options.kc.makeApiClient(AuthorizationV1Api);
    this.audiences = options.audiences ?? [];
    this.timeoutMs = options.timeoutMs ?? 5_000;
    const cache = { max: options.max ?? 10_000, ttl: options.ttlMs ?? 10_000 };
    this.users = new LRUCache({
      ...cache,
      fetchMethod: (_key, _stale, { context: token }) => this.reviewToken(token),
    });
    this.decisions = new LRUCache({
      ...cache,
      fetchMethod: async (_key, _stale, { context: [user, attrs] }) => ({
        allowed: await this.reviewAccess(user, attrs),
      }),
    });
  }

  /** The caller the token belongs to, or undefined when the API server does not accept it. */
  async authenticate(token: string): Promise<ReviewedUser | undefined> {
    const key = createHash("sha256").update(token).digest("hex");
    return (await this.users.fetch(key, { context: token }))?.user;
  }

  async allowed(user: ReviewedUser, attrs: ResourceAttributes): Promise<boolean> {
    const key = JSON.stringify([user, attrs]);
    return (await this.decisions.fetch(key, { context: [user, attrs] }))?.allowed === true;
  }

  private async reviewToken(token: string): Promise<Authenticated> {
    const review = await this.call("TokenReview", () =>
      this.authn.createTokenReview({
        body: { spec: { token, ...(this.audiences.length ? { audiences: this.audiences } : {}) } },
      }),
    );
    const status = review.status;
    if (!status?.authenticated || !status.user) return {};
    // The API server names the audiences it accepted the token for; one of ours must be among them.
    if (this.audiences.length && !status.audiences?.some((a) => this.audiences.includes(a))) return {};
    const { username, uid, groups, extra } = status.user;
    return { user: { username, uid, groups, extra } };
  }

  private async reviewAccess(user: ReviewedUser, attrs: ResourceAttributes) {
    const review = await this.call("SubjectAccessReview", () =>
      this.authz.createSubjectAccessReview({
        body: {
          spec: {
            user: user.username,
            uid: user.uid,
            groups: user.groups,
            extra: user.extra,
            resourceAttributes: {
              group: attrs.group,
              resource: attrs.resource,
              verb: attrs.verb,
              namespace: attrs.namespace,
              ...(attrs.name ? { name: attrs.name } : {}),
            },
          },
        },
      }),
    );
    return review.status?.allowed === true;
  }

  /** Runs one review; an API server that cannot answer it throws ReviewUnavailableError. */
  private async call<T>(what: string, review: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ReviewUnavailableError(
              `the Kubernetes API did not answer a ${what} within ${this.timeoutMs} ms`,
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([review(), timeout]);
    } catch (err) {
      if (err instanceof ReviewUnavailableError || !isTransient(err)) throw err;
      throw new ReviewUnavailableError(
        `the Kubernetes API could not answer a ${what}: ${statusMessage(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
