import { ARTWORK } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { AriaClient } from "../aria-client.ts";
import { age, formatTable } from "../table.ts";

const score = (n: number | undefined, digits = 3) => (n === undefined ? "" : n.toFixed(digits));

/** `kubectl aria get`: the namespace's Artworks with their scores; with a name, its candidates. */
export async function get(client: AriaClient, name?: string): Promise<void> {
  if (name) {
    const art = await client.artwork(name);
    const s = art.status;
    console.log(
      `${name}: ${s?.phase ?? "Pending"}${s?.model ? ` with ${s.model}` : ""}, seed ${s?.seed ?? "?"}, ${s?.steps ?? "?"} steps, ${s?.width ?? "?"}×${s?.height ?? "?"}`,
    );
    console.log(`prompt: ${art.spec.prompt}`);
    const rows = (s?.candidates ?? []).map((c) => [
      c.index === s?.selected?.index ? `${c.index} *` : String(c.index),
      c.seed,
      score(c.scores.clip),
      score(c.scores.aesthetic, 2),
      score(c.scores.technical),
      score(c.scores.ensemble),
      score(c.scores.confidence),
    ]);
    if (rows.length > 0)
      console.log(
        formatTable(["candidate", "seed", "clip", "aesthetic", "technical", "ensemble", "confidence"], rows),
      );
    return;
  }
  const arts = await client.list<Artwork>(ARTWORK);
  if (arts.length === 0) {
    console.log(
      `No artworks in namespace "${client.namespace}". Make one with: kubectl aria create "a prompt"`,
    );
    return;
  }
  arts.sort((a, b) =>
    String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
  );
  const rows = arts.map((a) => {
    const s = a.status;
    const chosen = s?.candidates?.find((c) => c.index === s.selected?.index);
    return [
      a.metadata.name!,
      s?.phase ?? "Pending",
      s?.phase === "Succeeded" ? "100" : String(s?.progress?.percent ?? 0),
      s?.model ?? "",
      a.spec.mood ?? "",
      score(s?.selected?.score),
      score(chosen?.scores.clip),
      score(chosen?.scores.aesthetic, 2),
      age(a.metadata.creationTimestamp),
    ];
  });
  console.log(
    formatTable(["name", "phase", "progress", "model", "mood", "score", "clip", "aesthetic", "age"], rows),
  );
}
