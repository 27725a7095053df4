// The controller that tells subscribed browsers an Artwork is finished. It runs on the leader only
// (as every controller does), so one replica sends. For an Artwork in a final phase with
// subscriptions it sends each due one its notification, then records the result in the
// annotation: delivered and gone ones removed, failed ones kept with their next attempt's time.
//
// Sent first, recorded second: a crash or a leadership change between the two sends those
// notifications again once (the push service's Topic and the payload's tag make the second replace
// the first on the device). Recording first could lose one that never went; a duplicate is the
// better failure.
import { createHash } from "node:crypto";
import type { Artwork } from "../../crds/artwork.ts";
import { isTerminal } from "../../crds/artwork-conditions.ts";
import { ARTWORK } from "../../crds/api.ts";
import type { Controller, ReconcileResult, Reconciler } from "../../lib/kube/controller.ts";
import { isNotFound } from "../../lib/kube/kube-errors.ts";
import { objectKey, type ObjectKey } from "../../lib/kube/object-key.ts";
import type { OperatorContext } from "../context.ts";
import { applyJudgements, dueSubscriptions, judge, type Judged } from "./delivery-plan.ts";
import { notificationPayload } from "./notification-payload.ts";
import type { PushSender } from "./push-sender.ts";
import { hasSubscriptions, readSubscriptions } from "./subscription-list.ts";
import { SubscriptionStore } from "./subscription-store.ts";

function wantsNotifying(art: Artwork) {
  return isTerminal(art.status?.phase) && hasSubscriptions(art) && !art.metadata.deletionTimestamp;
}

/** At most 32 base64url characters (RFC 8030 5.4): the uid without its dashes is exactly that. */
function topicOf(art: Artwork) {
  const uid = art.metadata.uid?.replace(/-/g, "");
  if (uid && /^[A-Za-z0-9_-]{1,32}$/.test(uid)) return uid;
  const key = `${art.metadata.namespace}/${art.metadata.name}`;
  return createHash("sha256").update(key).digest("base64url").slice(0, 32);
}

export class PushNotifier implements Reconciler {
  private readonly store: SubscriptionStore;

  /** Without a sender (no VAPID key configured) it watches nothing. */
  constructor(
    private readonly ctx: OperatorContext,
    private readonly sender: PushSender | undefined,
  ) {
    this.store = new SubscriptionStore(ctx.client);
  }

  setup(c: Controller) {
    if (!this.sender) return;
    c.watch(this.ctx.caches.artworks, undefined, (a) => wantsNotifying(a));
  }

  async reconcile(key: ObjectKey): Promise<ReconcileResult | void> {
    const sender = this.sender;
    const cached = this.ctx.caches.artworks.get(key.namespace, key.name);
    if (!sender || !cached || !wantsNotifying(cached)) return;
    // Read afresh: the cache may not show yet the removal written after this Artwork's last sends
    // (by this leader, or the one before it), and those must not go twice.
    let art: Artwork;
    try {
      art = await this.ctx.client.get<Artwork>(ARTWORK, key.namespace, key.name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!wantsNotifying(art)) return;
    const { list, problem } = readSubscriptions(art);
    if (problem) {
      this.ctx.log.warn({ artwork: objectKey(art), problem }, "ignored unreadable push subscriptions");
      return;
    }
    const now = Date.now();
    const { due, laterMs } = dueSubscriptions(list, now);
    if (due.length === 0) return laterMs === undefined ? undefined : { requeueAfterMs: laterMs };

    const payload = notificationPayload(art);
    const topic = topicOf(art);
    const judged = await Promise.all(
      due.map(async (entry) => judge(entry, await sender.send(entry, payload, topic), now)),
    );
    for (const j of judged) this.record(art, j);

    const written = await this.store.update(
      key.namespace,
      key.name,
      (current) => {
        const next = applyJudgements(current, judged);
        return { list: next, result: next === false ? current : next };
      },
      art,
    );
    if (!("result" in written)) return;
    const next = dueSubscriptions(written.result, Date.now());
    if (next.due.length > 0) return { requeueAfterMs: 1 };
    if (next.laterMs !== undefined) return { requeueAfterMs: next.laterMs };
  }

  /** One log line and one count per attempt. */
  private record(art: Artwork, j: Judged) {
    this.ctx.metrics.pushNotifications.inc({ outcome: j.outcome });
    const fields = {
      artwork: objectKey(art),
      phase: art.status?.phase,
      pushService: new URL(j.entry.endpoint).origin,
      user: j.entry.user,
      ...("status" in j.delivery && j.delivery.status !== undefined ? { status: j.delivery.status } : {}),
    };
    const log = this.ctx.log;
    switch (j.outcome) {
      case "sent":
        log.info(fields, "sent a push notification");
        break;
      case "gone":
        log.info(fields, "dropped a push subscription its push service no longer knows");
        break;
      case "retried":
        log.warn(
          { ...fields, attempt: j.next?.failures, delayMs: Math.round(j.delayMs ?? 0), err: errorOf(j) },
          "could not send a push notification; retrying later",
        );
        break;
      case "failed":
        log.warn(
          { ...fields, attempts: (j.entry.failures ?? 0) + 1, err: errorOf(j) },
          "gave up on a push notification",
        );
        break;
    }
  }
}

function errorOf(j: Judged) {
  return j.delivery.outcome === "error" ? j.delivery.message : undefined;
}
