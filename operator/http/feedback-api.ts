// The feedback API: people (or the gallery) react to an Artwork over HTTP. Callers authenticate
// with a Kubernetes bearer token (TokenReview) and must be allowed to patch that Artwork
// (SubjectAccessReview); the reaction is written as the same annotation kubectl would set.
import { createHash } from "node:crypto";
import express, { type Router } from "express";
import { GROUP, LEARNING_STATE } from "../../crds/api.ts";
import { ARTWORK_DEFAULTS, MOODS } from "../../crds/artwork.ts";
import { FEEDBACK_ACTIONS } from "../../crds/learning-state.ts";
import { generatorModels, learningStateName, type OperatorContext } from "../context.ts";
import { isFeedbackAction } from "../learning/feedback-log.ts";
import { ReactionCommitter, type CommitOutcome } from "../learning/reaction-committer.ts";
import { suggest } from "../learning/suggestion.ts";
import { badRequest as bad } from "./bad-request.ts";
import type { CallerAccess } from "./caller-access.ts";
import { isAnonymous } from "./public-namespaces.ts";

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DNS = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function visitorRequestId(visitor: string, namespace: string, artwork: string, action: string) {
  return `v-${createHash("sha256")
    .update(JSON.stringify([visitor, namespace, artwork, action]))
    .digest("base64url")
    .slice(0, 40)}`;
}

export function feedbackRouter(ctx: OperatorContext, access: CallerAccess): Router {
  const router = express.Router();
  router.use(express.json({ limit: "16kb" }));
  const committer = new ReactionCommitter(ctx);

  router.post("/feedback", async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const namespace = body.namespace ?? "default";
      const user = await access.authenticate(req, res, typeof namespace === "string" ? namespace : undefined);
      if (!user) return;
      const { artwork, action, visitor } = body;
      let { requestId } = body;
      if (typeof namespace !== "string" || !DNS.test(namespace))
        return bad(res, "namespace", "namespace must be a Kubernetes namespace name");
      if (typeof artwork !== "string" || !DNS.test(artwork))
        return bad(res, "artwork", "artwork must be the name of an Artwork");
      if (typeof action !== "string" || !isFeedbackAction(action)) {
        return bad(res, "action", `action must be one of ${FEEDBACK_ACTIONS.join(", ")}`);
      }
      if (requestId !== undefined && (typeof requestId !== "string" || !REQUEST_ID.test(requestId))) {
        return bad(res, "requestId", "requestId must be 1-64 letters, digits, '-' or '_'");
      }
      const anonymous = isAnonymous(user);
      if (anonymous) {
        if (typeof visitor !== "string" || !REQUEST_ID.test(visitor))
          return bad(
            res,
            "visitor",
            "an anonymous reaction needs visitor: the 1-64 letter id the gallery keeps",
          );
        // A visitor counts once per action and Artwork: the same id for every repeat, deduplicated
        // as a retried request is.
        requestId = visitorRequestId(visitor, namespace, artwork, action);
      }
      if (!(await access.mayArtworks(user, "patch", namespace, artwork))) {
        if (anonymous) {
          res
            .status(401)
            .json({ error: `reactions in namespace "${namespace}" need a Kubernetes bearer token` });
          return;
        }
        res.status(403).json({
          error: `${user.username} may not patch artworks.${GROUP} "${artwork}" in namespace "${namespace}"`,
        });
        return;
      }
      const outcome = await committer.submit(namespace, artwork, {
        action,
        time: new Date(),
        user: anonymous ? "anonymous" : (user.username ?? ""),
        ...(requestId !== undefined ? { source: requestId as string } : {}),
      });
      const refused = REFUSALS[outcome];
      if (refused) {
        if (refused.retryAfter) res.set("Retry-After", String(refused.retryAfter));
        res.status(refused.status).json({ error: refused.error(namespace, artwork), field: "artwork" });
        return;
      }
      if (anonymous)
        ctx.log.info(
          { artwork: `${namespace}/${artwork}`, action, anonymous },
          "accepted an anonymous reaction",
        );
      res.status(202).json({ accepted: true, namespace, artwork, action });
    } catch (err) {
      next(err);
    }
  });

  router.get("/feedback/stats", async (req, res, next) => {
    try {
      const user = await access.authenticate(req, res);
      if (!user) return;
      const namespace = typeof req.query.namespace === "string" ? req.query.namespace : "default";
      if (!DNS.test(namespace)) return bad(res, "namespace", "namespace must be a Kubernetes namespace name");
      // It answers with every LearningState of the namespace, as `kubectl get learningstates` would.
      if (!(await access.mayList(user, res, LEARNING_STATE, namespace))) return;
      const states = ctx.caches.learning.list(namespace).map((ls) => ({
        name: ls.metadata.name,
        events: ls.status?.events ?? {},
        arms: ls.status?.arms ?? [],
        promptPatterns: (ls.status?.promptPatterns ?? []).slice(0, 10),
        lastFoldTime: ls.status?.lastFoldTime,
      }));
      res.json({ namespace, learningStates: states });
    } catch (err) {
      next(err);
    }
  });

  router.post("/suggestions", async (req, res, next) => {
    try {
      const user = await access.authenticate(req, res);
      if (!user) return;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const namespace = body.namespace ?? "default";
      const { pool: poolName, mood = ARTWORK_DEFAULTS.mood } = body;
      if (typeof namespace !== "string" || !DNS.test(namespace))
        return bad(res, "namespace", "namespace must be a Kubernetes namespace name");
      if (typeof poolName !== "string" || !DNS.test(poolName))
        return bad(res, "pool", "pool must be the name of a ModelPool");
      if (typeof mood !== "string" || !(MOODS as readonly string[]).includes(mood)) {
        return bad(res, "mood", `mood must be one of ${MOODS.join(", ")}`);
      }
      if (!(await access.mayArtworks(user, "create", namespace))) {
        res
          .status(403)
          .json({ error: `${user.username} may not create artworks.${GROUP} in namespace "${namespace}"` });
        return;
      }
      const pool = ctx.caches.pools.get(namespace, poolName);
      if (!pool) {
        res
          .status(404)
          .json({ error: `ModelPool "${poolName}" not found in namespace "${namespace}"`, field: "pool" });
        return;
      }
      const ls = ctx.caches.learning.get(namespace, learningStateName(pool));
      const suggestion = suggest(ls, generatorModels(pool), mood, new Date());
      res.json({
        mood,
        ...suggestion,
        promptPatterns: (ls?.status?.promptPatterns ?? []).slice(0, 5).map((p) => p.term),
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}

/** How the POST answers a reaction that was not written; none of them loses one that was. */
const REFUSALS: Partial<
  Record<CommitOutcome, { status: number; retryAfter?: number; error: (ns: string, name: string) => string }>
> = {
  "not-found": { status: 404, error: (ns, name) => `Artwork "${name}" not found in namespace "${ns}"` },
  deleting: { status: 409, error: (ns, name) => `Artwork "${name}" in namespace "${ns}" is being deleted` },
  unreadable: {
    status: 409,
    error: (ns, name) =>
      `the feedback log of Artwork "${name}" in namespace "${ns}" is unreadable (see its FeedbackLogValid condition)`,
  },
  full: {
    status: 429,
    retryAfter: 1,
    error: () => "this Artwork holds as many unfolded reactions as it may; retry after Retry-After seconds",
  },
  busy: {
    status: 503,
    retryAfter: 1,
    error: () => "other writers to this Artwork kept winning; retry after Retry-After seconds",
  },
};
