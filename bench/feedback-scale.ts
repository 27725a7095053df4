// Feedback at scale: --artworks Artworks with three reactions each, generated directly and folded
// by the controllers' own steps, one write at a time (plan, fold, compact, release; no API server).
// Prints the biggest LearningState and Artwork, against what a record per Artwork (the first
// release's LearningState) would take, and whether each reaction counted once.
import type { Artwork } from "../crds/artwork.ts";
import type { LearningState } from "../crds/learning-state.ts";
import { FEEDBACK_LOG_ANNOTATION } from "../crds/worker-protocol.ts";
import { foldPlan, learningPatch } from "../operator/controllers/learning-controller.ts";
import { settledLog } from "../operator/learning/feedback-intake.ts";
import { appendReactions, emptyLog, feedbackLog, serializeLog } from "../operator/learning/feedback-log.ts";
import { machineFacts, numberFlag, printTable, since } from "./report.ts";

const ARTWORKS = numberFlag("artworks", 50_000);
const KIB = 1024;

machineFacts({ Scenario: `${ARTWORKS} Artworks × 3 reactions, folded directly (no API server)` });

const start = performance.now();
const many = manyArtworks();

printTable("Feedback at scale, many Artworks", [
  {
    figure: "LearningState size, largest while folding",
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
  { figure: "LearningState writes", samples: [many.writes], unit: "", digits: 0 },
  {
    figure: "reactions counted, less reactions made",
    samples: [many.counted - 3 * ARTWORKS],
    unit: "",
    digits: 0,
    target: { op: "≤", value: 0 },
  },
  { figure: "time to fold them all (CPU of the pure steps)", samples: [since(start) / 1000], unit: "s" },
]);

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
  let writes = 0;
  const models = new Set(["aria-painter"]);
  for (;;) {
    const plan = foldPlan(ls, [...artworks.values()], () => true);
    const result = learningPatch(ls, { artworks: plan.candidates, released: plan.released, models }, now);
    if (!result) break;
    const folded = Object.fromEntries(
      Object.entries(result.patch.folded ?? {}).filter(([, seq]) => seq !== null),
    );
    ls = { ...ls, status: { ...result.patch, folded } };
    maxStatus = Math.max(maxStatus, JSON.stringify(ls.status).length);
    writes++;
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
  return { maxStatus, perArtworkRecords, maxArtwork, counted, writes };
}
