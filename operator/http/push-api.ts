// The gallery's Web Push API: the operator's VAPID public key (the browser's applicationServerKey),
// and subscribing a browser to an Artwork so it is notified when the Artwork is finished. A
// subscriber must be allowed to get the Artwork; the subscription is written on the Artwork with
// the operator's own ServiceAccount (push/subscription-store.ts), and sent by push/push-notifier.ts.
import express, { type Response, type Router } from "express";
import { GROUP } from "../../crds/api.ts";
import { MAX_PUSH_SUBSCRIPTIONS, PUSH_SUBSCRIPTIONS_ANNOTATION } from "../../crds/push-subscriptions.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import { isConflict } from "../../lib/kube/kube-errors.ts";
import { keyToString } from "../../lib/kube/object-key.ts";
import type { OperatorContext } from "../context.ts";
import {
  allowedPushHost,
  endpointProblem,
  isInputProblem,
  parseSubscription,
} from "../push/subscription-input.ts";
import { withoutEndpoint, withSubscription } from "../push/subscription-list.ts";
import { SubscriptionStore, type Refusal } from "../push/subscription-store.ts";
import type { VapidKeys } from "../push/vapid-keys.ts";
import { badRequest as bad } from "./bad-request.ts";
import type { CallerAccess } from "./caller-access.ts";

const NOT_CONFIGURED =
  "Web Push is not configured on this operator: start it with --vapid-key-file (the chart's gallery.push.enabled)";

export function pushRouter(ctx: OperatorContext, access: CallerAccess, keys: VapidKeys | undefined): Router {
  const router = express.Router();
  router.use(express.json({ limit: "16kb" }));
  const store = new SubscriptionStore(ctx.client);
  const path = "/namespaces/:namespace/artworks/:name/push-subscriptions";

  // Public by nature: every browser that subscribes is given it.
  router.get("/push/key", (_req, res) => {
    if (!keys) return void res.status(404).json({ error: NOT_CONFIGURED });
    res.json({ publicKey: keys.publicKey });
  });

  /** The caller, once allowed to get the Artwork; undefined once 401 or 403 has been answered. */
  const caller = async (req: express.Request, res: Response) => {
    const user = await access.authenticate(req, res);
    if (!user) return undefined;
    const { namespace, name } = req.params as { namespace: string; name: string };
    if (!(await access.mayArtworks(user, "get", namespace, name))) {
      res.status(403).json({
        error: `${user.username} may not get artworks.${GROUP} "${name}" in namespace "${namespace}"`,
      });
      return undefined;
    }
    return user;
  };

  router.post(path, async (req, res) => {
    if (!keys) return void res.status(404).json({ error: NOT_CONFIGURED });
    const user = await caller(req, res);
    if (!user) return;
    const input = parseSubscription(req.body);
    if (isInputProblem(input)) return bad(res, input.field, input.error);
    const hosts = ctx.config.pushEndpointHosts;
    if (!allowedPushHost(input.endpoint, hosts))
      return bad(
        res,
        "subscription.endpoint",
        `subscription.endpoint must be on a push service: ${hosts.join(", ")}`,
      );
    const { namespace, name } = req.params;
    const entry = { ...input, user: user.username ?? "", time: rfc3339(new Date()) };
    const written = await busyAs503(res, () =>
      store.update(namespace, name, (list) => {
        const next = withSubscription(list, entry);
        return { list: next ?? false, result: next !== undefined };
      }),
    );
    if (!written) return;
    if ("refused" in written) return refuse(res, written.refused, namespace, name, written.problem);
    if (!written.result) {
      res.status(429).json({
        error: `Artwork "${name}" in namespace "${namespace}" already has ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions, as many as it may hold`,
        field: "subscription",
      });
      return;
    }
    ctx.log.info(
      { artwork: keyToString({ namespace, name }), user: user.username },
      "subscribed a browser to an artwork's push notification",
    );
    res.status(201).json({ subscribed: true, namespace, name, endpoint: entry.endpoint });
  });

  router.delete(path, async (req, res) => {
    if (!keys) return void res.status(404).json({ error: NOT_CONFIGURED });
    const user = await caller(req, res);
    if (!user) return;
    const endpoint = (req.body as Record<string, unknown> | undefined)?.endpoint;
    const problem = endpointProblem(endpoint, "endpoint");
    if (problem) return bad(res, problem.field, problem.error);
    const { namespace, name } = req.params;
    const written = await busyAs503(res, () =>
      store.update(namespace, name, (list) => {
        const next = withoutEndpoint(list, endpoint as string);
        return { list: next.length === list.length ? false : next, result: next.length < list.length };
      }),
    );
    if (!written) return;
    if ("refused" in written) return refuse(res, written.refused, namespace, name, written.problem);
    if (written.result)
      ctx.log.info(
        { artwork: keyToString({ namespace, name }), user: user.username },
        "unsubscribed a browser from an artwork's push notification",
      );
    // Idempotent: unsubscribing what is not (or no longer) subscribed is not an error.
    res.status(204).end();
  });

  return router;
}

/** The write, or undefined once 503 has been answered because other writers kept winning. */
async function busyAs503<T>(res: Response, write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (!isConflict(err)) throw err;
    res
      .status(503)
      .set("Retry-After", "1")
      .json({ error: "other writers to this Artwork kept winning; retry after Retry-After seconds" });
    return undefined;
  }
}

function refuse(res: Response, refusal: Refusal, namespace: string, name: string, problem?: string) {
  switch (refusal) {
    case "not-found":
      res.status(404).json({ error: `Artwork "${name}" not found in namespace "${namespace}"` });
      return;
    case "deleting":
      res.status(409).json({ error: `Artwork "${name}" in namespace "${namespace}" is being deleted` });
      return;
    case "unreadable":
      res.status(409).json({
        error: `the push subscriptions of Artwork "${name}" in namespace "${namespace}" are unreadable (${problem}); remove them with kubectl annotate artwork ${name} -n ${namespace} ${PUSH_SUBSCRIPTIONS_ANNOTATION}-`,
      });
      return;
  }
}
