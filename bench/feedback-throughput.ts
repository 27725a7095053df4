// Feedback throughput: one popular Artwork takes --reactions reactions through the feedback API
// from --clients clients at once. Prints reactions accepted per second, the time until all are
// folded, the Artwork's and the LearningState's size before, at most during, and after, and
// whether each reaction counted once. It talks to the operator only over HTTP and the API server,
// so it measures any release of the operator alike (run it from that release's checkout).
import { ARTWORK, LEARNING_STATE } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import { postReaction } from "../test/support/feedback-client.ts";
import { LocalCluster } from "./local-cluster.ts";
import { machineFacts, numberFlag, printTable, since } from "./report.ts";

const REACTIONS = numberFlag("reactions", 10_000);
const CLIENTS = numberFlag("clients", 100);
const KIB = 1024;

machineFacts({
  Scenario: `${REACTIONS} reactions to one Artwork from ${CLIENTS} clients at once, through the feedback API`,
  Operator: "dist/aria-operator.mjs (npm run build)",
});

const popular = await onePopularArtwork();

printTable("Feedback throughput, one Artwork", [
  {
    figure: "reactions accepted per second",
    samples: [popular.acceptedPerSecond],
    unit: "/s",
    target: { op: "≥", value: 100 },
  },
  {
    figure: "reactions folded per second (until the last is folded)",
    samples: [popular.foldedPerSecond],
    unit: "/s",
  },
  { figure: "times clients were asked to retry (429/503)", samples: [popular.retries], unit: "", digits: 0 },
  { figure: "Artwork size before its first reaction", samples: [popular.artwork.before / KIB], unit: "KiB" },
  {
    figure: `Artwork size, largest seen while taking ${REACTIONS}`,
    samples: [popular.artwork.max / KIB],
    unit: "KiB",
    target: { op: "≤", value: 100 },
  },
  {
    figure: "Artwork size after",
    samples: [popular.artwork.after / KIB],
    unit: "KiB",
    target: { op: "≤", value: 100 },
  },
  {
    figure: "LearningState size, largest seen",
    samples: [popular.learningState.max / KIB],
    unit: "KiB",
    target: { op: "≤", value: 100 },
  },
  {
    figure: "reactions counted, less reactions sent",
    samples: [popular.counted - REACTIONS],
    unit: "",
    digits: 0,
    target: { op: "≤", value: 0 },
  },
]);

async function onePopularArtwork() {
  const cluster = await LocalCluster.start();
  try {
    const ns = await cluster.namespace("feedback-scale");
    await cluster.pool(ns, "studio", { replicas: 0 });
    const operator = cluster.operator(ns);
    const api = {
      securePort: () => operator.securePort(60_000),
      token: cluster.cp.tokens.admin,
      ca: cluster.tls.ca,
    };
    await api.securePort();
    await cluster.client.create<Artwork>(ARTWORK, ns, {
      apiVersion: "aria.dev/v1alpha1",
      kind: "Artwork",
      metadata: { name: "viral" },
      spec: { prompt: "a red fox in a green forest", poolRef: { name: "studio" } },
    });
    // As a worker's final write would leave it, so its reactions are learned from.
    await cluster.client.patchStatus(ARTWORK, ns, "viral", { phase: "Succeeded", model: "aria-painter" });
    const size = async () => JSON.stringify(await cluster.client.get<Artwork>(ARTWORK, ns, "viral")).length;
    const lsSize = () =>
      cluster.client.get<LearningState>(LEARNING_STATE, ns, "studio").then(
        (ls) => ({
          size: JSON.stringify(ls).length,
          counted: Object.values(ls.status?.events ?? {}).reduce((a, b) => a + b, 0),
        }),
        () => ({ size: 0, counted: 0 }),
      );
    const artwork = { before: await size(), max: 0, after: 0 };
    const learningState = { max: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        artwork.max = Math.max(artwork.max, await size());
        learningState.max = Math.max(learningState.max, (await lsSize()).size);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const start = performance.now();
    const waits = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        let n = 0;
        for (let i = c; i < REACTIONS; i += CLIENTS)
          n += await postReaction(api, ns, "viral", i % 2 ? "like" : "love", `r-${i}`);
        return n;
      }),
    );
    const accepted = since(start);
    let counted = 0;
    const deadline = Date.now() + 10 * 60_000;
    while (counted < REACTIONS && Date.now() < deadline) {
      counted = (await lsSize()).counted;
      if (counted < REACTIONS) await new Promise((r) => setTimeout(r, 100));
    }
    const folded = since(start);
    // Anything counted twice would show up once the controllers have settled.
    await new Promise((r) => setTimeout(r, 3_000));
    counted = (await lsSize()).counted;
    sampling = false;
    await sampler;
    artwork.after = await size();
    return {
      acceptedPerSecond: REACTIONS / (accepted / 1000),
      foldedPerSecond: REACTIONS / (folded / 1000),
      retries: waits.reduce((a, b) => a + b, 0),
      artwork,
      learningState,
      counted,
    };
  } finally {
    await cluster.stop();
  }
}
