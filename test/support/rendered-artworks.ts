// A namespace with an operator, one warm worker and Artworks it has rendered, once the operator's
// cache holds their results: what tests of the routes that serve finished images start from.
import type { Artwork, ArtworkSpec } from "../../crds/artwork.ts";
import { createArtwork, createPool, eventually, getArtwork, isReady, QUICK } from "./artworks.ts";
import { controlPlane, createNamespace, servingTls } from "./cluster.ts";
import { httpsJson } from "./https.ts";
import { startOperator, startWorker, type OperatorProc } from "./processes.ts";
import { waitForLeading, waitForWorkerReady } from "./waits.ts";

export interface RenderedArtworks {
  ns: string;
  operator: OperatorProc;
  /** Each Artwork as the API server holds it once rendered. */
  artworks: Record<string, Artwork>;
}

export async function renderedArtworks(
  prefix: string,
  specs: Record<string, Partial<ArtworkSpec>>,
  operatorOptions: { args?: string[]; env?: Record<string, string> } = {},
): Promise<RenderedArtworks> {
  const ns = await createNamespace(prefix);
  const operator = startOperator(ns, operatorOptions);
  await waitForLeading(operator);
  await createPool(ns, "studio", { replicas: 1 });
  await waitForWorkerReady(startWorker(ns, "studio", "w1"));
  const names = Object.keys(specs);
  for (const name of names) {
    await createArtwork(ns, name, { ...QUICK, poolRef: { name: "studio" }, ...specs[name] });
  }
  const rendered = await eventually(
    () => Promise.all(names.map((n) => getArtwork(ns, n))),
    (arts) => arts.every(isReady),
    120_000,
    500,
  );
  // The routes read the operator's informer cache: wait until it has the results too.
  for (const name of names) {
    await eventually(
      () =>
        httpsJson(operator, `/api/namespaces/${ns}/artworks/${name}`, {
          ca: servingTls().ca,
          token: controlPlane().tokens.admin,
        }),
      (res) => res.body.phase === "Succeeded",
      30_000,
    );
  }
  return { ns, operator, artworks: Object.fromEntries(rendered.map((a) => [a.metadata.name, a])) };
}
