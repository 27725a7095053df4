// Feedback at scale. (1) One popular Artwork takes --reactions reactions through the feedback API
// from --clients clients at once: reactions accepted per second, time until all are folded, the
// Artwork's and the LearningState's size before, at most during, and after, and whether each
// reaction counted once. (2) --artworks Artworks with three reactions each, generated directly and
// folded by the controllers' own steps (plan, fold, compact, release; no API server): the biggest
// LearningState and Artwork, against what a record per Artwork (the first release) would take.
import { ARTWORK, LEARNING_STATE } from "../crds/api.ts";
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../crds/worker-protocol.ts";
import { foldPlan, learningPatch } from "../operator/controllers/learning-controller.ts";
import { settledLog } from "../operator/learning/feedback-intake.ts";
import { appendReactions, emptyLog, feedbackLog, serializeLog } from "../operator/learning/feedback-log.ts";
import { postReaction } from "../test/support/feedback-client.ts";
import { LocalCluster } from "./local-cluster.ts";
import { machineFacts, numberFlag, printTable, since } from "./report.ts";

const REACTIONS = numberFlag("--reactions", 10_000);
const CLIENTS = numberFlag("--clients", 100);
const ARTWORKS = numberFlag("--artworks", 50_000);
const KIB = 1024;

machineFacts({
  Scenario: `${REACTIONS} reactions to one Artwork from ${CLIENTS} clients; ${ARTWORKS} Artworks × 3 reactions folded directly`,
  Operator: "dist/aria-operator.mjs (npm run build)",
});

const popular = await onePopularArtwork();
const many = manyArtworks();

printTable("Feedback at scale", [
  {
    figure: "reactions accepted per second, one Artwork",
    samples: [popular.acceptedPerSecond],
    unit: "/s",
    target: { op: "≥", value: 100 },
  },
  {
    figure: "reactions folded per second, one Artwork (until the last is folded)",
    samples: [popular.foldedPerSecond],
    unit: "/s",
  },
  {
    figure: "clients asked to retry (429/503), all reactions together",
    samples: [popular.retries],
    unit: "",
    digits: 0,
  },
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
    figure: "reactions counted, less reactions sent (one Artwork)",
    samples: [popular.counted - REACTIONS],
    unit: "",
    digits: 0,
    target: { op: "≤", value: 0 },
  },
  {
    figure: `LearningState size, largest while folding ${ARTWORKS} Artworks`,
    samples: [many.maxStatus / KIB],
    unit: "KiB",
    target: { op: "≤", value: 100 },
  },
  {
    figure: "the same with a record per Artwork (first release)",
    samples: [many.perArtworkRecords / KIB],
    unit: "KiB",
  },
  {
    figure: "Artwork size, largest",
    samples: [many.maxArtwork / KIB],
    unit: "KiB",
    target: { op: "≤", value: 100 },
  },
  {
    figure: `reactions counted, less reactions made (${ARTWORKS} Artworks)`,
    samples: [many.counted - 3 * ARTWORKS],
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
    const api = { port: () => operator.port(60_000), token: cluster.cp.tokens.admin };
    await api.port();
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

/** What the controllers do for many Artworks, one write at a time, without the API server. */
function manyArtworks() {
  const now = new Date();
  const artworks = new Map<string, Artwork>();
  for (let i = 0; i < ARTWORKS; i++) {
    const name = `artwork-${i}`;
    const log = appendReactions(
      emptyLog(),
      (["like", "love", "share"] as const).map((action) => ({ action, time: now })),
      "studio",
    ).log;
    artworks.set(name, {
      apiVersion: "aria.dev/v1alpha1",
      kind: "Artwork",
      metadata: {
        name,
        namespace: "bench",
        uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        annotations: { [FEEDBACK_LOG_ANNOTATION]: serializeLog(log) },
      },
      spec: { prompt: "a red fox in a green forest", poolRef: { name: "studio" } },
      status: { phase: "Succeeded", model: "aria-painter" },
    });
  }
  const perArtworkRecords = JSON.stringify(
    Object.fromEntries([...artworks.values()].map((a) => [a.metadata.uid, 3])),
  ).length;
  let ls: LearningState = {
    apiVersion: "aria.dev/v1alpha1",
    kind: "LearningState",
    metadata: { name: "studio", namespace: "bench", generation: 1 },
    spec: {},
  };
  let maxStatus = 0;
  const models = new Set(["aria-painter"]);
  for (let round = 0; ; round++) {
    const plan = foldPlan(ls, [...artworks.values()], () => true);
    const result = learningPatch(ls, { artworks: plan.candidates, released: plan.released, models }, now);
    if (!result) break;
    const folded = Object.fromEntries(
      Object.entries(result.patch.folded ?? {}).filter(([, seq]) => seq !== null),
    );
    ls = { ...ls, status: { ...result.patch, folded } };
    maxStatus = Math.max(maxStatus, JSON.stringify(ls.status).length);
    for (const art of plan.candidates) {
      const settled = settledLog(feedbackLog(art), art, ls, "studio");
      if (settled)
        artworks.set(art.metadata.name!, {
          ...art,
          metadata: { ...art.metadata, annotations: { [FEEDBACK_LOG_ANNOTATION]: serializeLog(settled) } },
        });
    }
  }
  const maxArtwork = Math.max(...[...artworks.values()].map((a) => JSON.stringify(a).length));
  const counted = Object.values(ls.status?.events ?? {}).reduce((a, b) => a + b, 0);
  return { maxStatus, perArtworkRecords, maxArtwork, counted };
}
