// The gallery's list API at scale: a local control plane and the operator (as it ships, bundled),
// --artworks Artworks (default 2,000) in one namespace, then --requests 50-item pages (default 200)
// fetched one after another over HTTPS as the web app's infinite scroll would: following `continue`
// to the end and starting again. Prints p50/p99 page latency, unfiltered and filtered by mood.
// Everything it made goes with the control plane at the end.
// Run: npx tsx bench/gallery-api.ts [--artworks 2000] [--requests 200]
import { MOODS } from "../crds/artwork.ts";
import { waitFor, waitForOperatorReady } from "../test/support/waits.ts";
import { galleryList } from "./gallery-list.ts";
import { LocalCluster } from "./local-cluster.ts";
import { machineFacts, numberFlag, percentile, printTable, since } from "./report.ts";

const ARTWORKS = numberFlag("artworks", 2000);
const REQUESTS = numberFlag("requests", 200);
const PAGE = 50;
const POOL = "gallery";

machineFacts({
  Scenario: `${ARTWORKS} Artworks in one namespace (a pool without workers), ${REQUESTS} sequential ${PAGE}-item pages per figure`,
  Operator: "dist/aria-operator.mjs (npm run build)",
});

const cluster = await LocalCluster.start();
try {
  const ns = await cluster.namespace(`gallery-${Date.now().toString(36)}`);
  await cluster.pool(ns, POOL, { replicas: 0 });
  const operator = cluster.operator(ns);
  await waitForOperatorReady(operator);
  const { list, count } = galleryList(operator, ns, { ca: cluster.tls.ca, token: cluster.cp.tokens.admin });

  await cluster.createArtworks(ns, ARTWORKS, (i) => ({
    name: `art-${String(i).padStart(4, "0")}`,
    spec: {
      prompt: `a red fox in a green forest, study ${i}`,
      mood: MOODS[i % MOODS.length],
      poolRef: { name: POOL },
      width: 64,
      height: 64,
    },
  }));
  // Measured once the operator has taken in every Artwork (each Pending), as a visitor finds it.
  await waitFor(
    `the operator's cache holds ${ARTWORKS} Pending Artworks`,
    () => count("&phase=Pending"),
    (n) => n === ARTWORKS,
    { timeoutMs: 300_000, intervalMs: 1000, proc: operator },
  );

  /** `REQUESTS` page latencies in ms, scrolling through the list from the top again at its end. */
  const scroll = async (filter: string) => {
    const samples: number[] = [];
    let token: string | undefined;
    for (let r = 0; r < REQUESTS; r++) {
      const start = performance.now();
      const page = await list(`limit=${PAGE}${filter}${token ? `&continue=${token}` : ""}`);
      samples.push(since(start));
      token = page.continue;
    }
    return samples;
  };
  await scroll(""); // warm the connections, JIT and review cache, as a returning visitor would find them
  const plain = await scroll("");
  const byMood = await scroll(`&mood=${MOODS[1]}`);

  printTable(`Gallery list API, ${ARTWORKS} Artworks, ${PAGE}-item pages`, [
    { figure: "page latency p50", samples: [percentile(plain, 50)], unit: "ms" },
    {
      figure: "page latency p99",
      samples: [percentile(plain, 99)],
      unit: "ms",
      target: { op: "≤", value: 100 },
    },
    { figure: "page latency p50, filtered by mood", samples: [percentile(byMood, 50)], unit: "ms" },
    {
      figure: "page latency p99, filtered by mood",
      samples: [percentile(byMood, 99)],
      unit: "ms",
      target: { op: "≤", value: 100 },
    },
  ]);
} finally {
  await cluster.stop();
}
