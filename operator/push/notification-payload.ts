// What the gallery's service worker receives when an Artwork it asked about is finished: enough to
// show the notification (title, body, a thumbnail) and to open the Artwork when it is clicked.
// Kept small: a push message carries at most 4 KB after encryption. Pure.
import type { Artwork } from "../../crds/artwork.ts";
import { imagePath, THUMBNAIL_WIDTHS } from "../http/artwork-images.ts";

export interface NotificationPayload {
  title: string;
  body: string;
  /** The gallery's route of the Artwork, relative to the gallery's origin. */
  url: string;
  artwork: { namespace: string; name: string };
  phase: "Succeeded" | "Failed";
  /** The selected image's thumbnail, a path on the operator's HTTPS port. */
  image?: string;
  /** One per Artwork: a notification delivered twice replaces the first rather than stacking. */
  tag: string;
}

const BODY_CHARS = 160;

function clip(text: string) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= BODY_CHARS ? flat : `${flat.slice(0, BODY_CHARS - 1)}…`;
}

export function notificationPayload(art: Artwork): NotificationPayload {
  const namespace = art.metadata.namespace ?? "";
  const name = art.metadata.name ?? "";
  const succeeded = art.status?.phase === "Succeeded";
  const selected = art.status?.selected;
  const image = succeeded && selected ? imagePath(art, selected.index, THUMBNAIL_WIDTHS[1]) : undefined;
  return {
    title: succeeded ? `${name} is ready` : `${name} failed`,
    body: clip(succeeded ? art.spec.prompt : (art.status?.message ?? "the render did not finish")),
    url: `/#/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
    artwork: { namespace, name },
    phase: succeeded ? "Succeeded" : "Failed",
    ...(image ? { image } : {}),
    tag: `aria-${namespace}-${name}`,
  };
}
