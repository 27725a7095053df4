// The key share links are signed with: a file (a mounted Secret, the chart's aria-share-key) so that
// links survive restarts and every replica accepts the others' links, or, without one, random
// bytes made at start.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Logger } from "../../lib/observability/logger.ts";

/** HMAC-SHA256's own block of strength: a shorter key is easier to guess than the MAC is to forge. */
export const MIN_SHARE_KEY_BYTES = 32;

export async function loadShareKey(file: string | undefined, log: Logger): Promise<Buffer> {
  if (!file) {
    log.warn(
      "made a random share-link key: links stop working when the operator restarts and differ between replicas; set --share-key-file (the chart mounts one)",
    );
    return randomBytes(32);
  }
  // A key written with `echo` or `kubectl create secret --from-file` often ends in a newline that is
  // no part of it.
  const key = (await readFile(file)).toString("latin1").replace(/\r?\n$/, "");
  if (Buffer.byteLength(key, "latin1") < MIN_SHARE_KEY_BYTES) {
    throw new Error(
      `--share-key-file ${file} holds ${key.length} bytes; a share key needs at least ${MIN_SHARE_KEY_BYTES}`,
    );
  }
  log.info({ file }, "share-link key loaded");
  return Buffer.from(key, "latin1");
}
