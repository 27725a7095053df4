// The Learn dashboard's API: what Aria has learned in a namespace (its LearningStates, with their
// daily history) and how its Artworks had their models chosen. Answered from the informer caches;
// the caller must be allowed to list LearningStates there, as for /api/feedback/stats, and sees
// the Artworks' choices only when also allowed to list Artworks.
import express, { type Router } from "express";
import { LEARNING_STATE } from "../../crds/api.ts";
import type { OperatorContext } from "../context.ts";
import type { CallerAccess } from "./caller-access.ts";
import { learningStateView, modelChoices, type LearningView } from "./learning-view.ts";

export function learningRouter(ctx: OperatorContext, access: CallerAccess): Router {
  // Express 5 hands a rejected handler to the error middleware (503 when reviews are unavailable).
  const router = express.Router();

  router.get("/namespaces/:namespace/learning", async (req, res) => {
    const user = await access.authenticate(req, res);
    if (!user) return;
    const { namespace } = req.params;
    if (!(await access.mayList(user, res, LEARNING_STATE, namespace))) return;
    const seesArtworks = await access.mayArtworks(user, "list", namespace);
    const view: LearningView = {
      namespace,
      learningStates: ctx.caches.learning
        .list(namespace)
        .map(learningStateView)
        .sort((a, b) => a.name.localeCompare(b.name)),
      ...(seesArtworks ? { choices: modelChoices(ctx.caches.artworks.list(namespace), new Date()) } : {}),
    };
    res.json(view);
  });

  return router;
}
