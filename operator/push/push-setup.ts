// Web Push as the flags configure it: off without --vapid-key-file; with it, the key pair and the
// sender the notifier and the push API share.
import type { Logger } from "../../lib/observability/logger.ts";
import type { OperatorConfig } from "../config.ts";
import { PushSender } from "./push-sender.ts";
import { loadVapidKeys, type VapidKeys } from "./vapid-keys.ts";

export interface Push {
  keys: VapidKeys;
  sender: PushSender;
}

/**
 * Apple's push service refuses a VAPID subject on a host that cannot be contacted (403
 * BadJwtToken: localhost, .local, .invalid, .example, .test); the others accept one.
 */
export function unreachableSubject(subject: string): boolean {
  const url = new URL(subject);
  const host = url.protocol === "mailto:" ? url.pathname.split("@").pop()! : url.hostname;
  return /(^|\.)(localhost|local|invalid|example|test)$/i.test(host) || !host.includes(".");
}

/** Throws, naming the flag, when the key file is not a P-256 private key. */
export function setUpPush(config: OperatorConfig, log: Logger): Push | undefined {
  if (!config.vapidKeyFile) return undefined;
  const keys = loadVapidKeys(config.vapidKeyFile);
  const subject = config.vapidSubject;
  log.info(
    { vapidPublicKey: keys.publicKey, subject },
    "loaded the VAPID key; Web Push notifications are on",
  );
  if (unreachableSubject(subject))
    log.warn(
      { subject },
      "the VAPID subject names no reachable host: Apple's push service (Safari, iOS) will refuse every notification; set --vapid-subject to a real mailto: or https: URL",
    );
  return { keys, sender: new PushSender({ keys, subject }) };
}
