// Web Push subscriptions of an Artwork: browsers that asked to be told when it is ready. They live
// on the Artwork itself (no second database), so an operator restart or a new leader finds every
// one that has not been notified yet; the operator removes each once its notification is sent.
import { Type, type Static } from "./schema.ts";

/** An Artwork's subscriptions as JSON PushSubscriptions, written by the operator's push API. */
export const PUSH_SUBSCRIPTIONS_ANNOTATION = "aria.dev/push-subscriptions";

/** Subscriptions one Artwork holds at most: the push API answers 429 beyond. */
export const MAX_PUSH_SUBSCRIPTIONS = 20;
/**
 * Longest endpoint URL taken. Push services' own are far shorter (FCM, Mozilla, Apple and WNS
 * stay under 500 characters); with it the annotation stays under 36 KB at MAX_PUSH_SUBSCRIPTIONS.
 */
export const MAX_PUSH_ENDPOINT_LENGTH = 1024;
/** Attempts at one notification before it is given up (a 404 or 410 drops it at once). */
export const MAX_PUSH_ATTEMPTS = 6;

/** base64url without padding (the form PushSubscription.toJSON() gives keys in). */
const Base64Url = (maxLength: number) => Type.String({ pattern: "^[A-Za-z0-9_-]+$", maxLength });

export const PushSubscriptionEntry = Type.Object(
  {
    /** The push service's URL for this browser (https only). */
    endpoint: Type.String({ maxLength: MAX_PUSH_ENDPOINT_LENGTH }),
    keys: Type.Object(
      {
        /** The browser's ECDH P-256 public key, uncompressed (65 bytes). */
        p256dh: Base64Url(88),
        /** The browser's 16-byte authentication secret. */
        auth: Base64Url(24),
      },
      { additionalProperties: false },
    ),
    /** Who subscribed (the caller's Kubernetes username), for the log. */
    user: Type.Optional(Type.String({ maxLength: 256 })),
    time: Type.String({ maxLength: 64 }),
    /** Failed attempts so far, and when the next one is due. */
    failures: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PUSH_ATTEMPTS })),
    retryAt: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type PushSubscriptionEntry = Static<typeof PushSubscriptionEntry>;

export const PushSubscriptions = Type.Array(PushSubscriptionEntry, { maxItems: MAX_PUSH_SUBSCRIPTIONS });
export type PushSubscriptions = Static<typeof PushSubscriptions>;
