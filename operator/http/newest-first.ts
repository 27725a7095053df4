// A namespace's Artworks in the gallery's order, newest first and equal creation times (the API
// server keeps whole seconds) by name. The order is kept beside the informer cache and sorted again
// only when an Artwork comes or goes (status writes never move one), so a page costs about its own
// length, not a sort of the namespace.
import type { Artwork } from "../../crds/artwork.ts";
import type { Informer } from "../../lib/kube/informer.ts";

/** An Artwork's place in the order: creation time in ms, then name. */
export interface Place {
  time: number;
  name: string;
}

/** Whether `a` comes before `b`: newer, or as new and earlier by name. */
export function comesBefore(a: Place, b: Place): boolean {
  return a.time !== b.time ? a.time > b.time : a.name < b.name;
}

function placeOf(art: Artwork): Place {
  const created = art.metadata.creationTimestamp;
  return { time: created === undefined ? 0 : new Date(created).getTime(), name: art.metadata.name ?? "" };
}

export class NewestFirst {
  /** Sorted places per namespace; a namespace whose Artworks came or went is absent until asked. */
  private readonly sorted = new Map<string, Place[]>();

  constructor(private readonly artworks: Informer<Artwork>) {
    const stale = (art: Artwork) => this.sorted.delete(art.metadata.namespace ?? "");
    artworks.on("add", stale);
    artworks.on("delete", stale);
  }

  /** The namespace's Artworks from just after `after` (from the newest without it), in order. */
  *from(namespace: string, after?: Place): Generator<{ art: Artwork; place: Place }> {
    const places = this.places(namespace);
    // The first place after the cursor: the order is monotonic in comesBefore(after, ·).
    let lo = 0;
    let hi = places.length;
    while (after && lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comesBefore(after, places[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < places.length; i++) {
      const place = places[i]!;
      const art = this.artworks.get(namespace, place.name);
      if (art) yield { art, place };
    }
  }

  private places(namespace: string): Place[] {
    let places = this.sorted.get(namespace);
    if (!places) {
      places = this.artworks
        .list(namespace)
        .map(placeOf)
        .sort((a, b) => (comesBefore(a, b) ? -1 : 1));
      this.sorted.set(namespace, places);
    }
    return places;
  }
}
