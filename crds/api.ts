// The Aria API: group, version and one entry per kind. Everything else (CRD YAML, clients,
// printer columns) is derived from these definitions.
import type { TSchema } from "@sinclair/typebox";
import { Artwork } from "./artwork.ts";
import { LearningState } from "./learning-state.ts";
import { ModelPool } from "./model-pool.ts";

export const GROUP = "aria.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDefinition {
  group: typeof GROUP;
  version: typeof VERSION;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TSchema;
  /** The file under crds/ that defines the schema. */
  source: string;
  description: string;
  printerColumns: PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

export const ARTWORK: KindDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "Artwork",
  plural: "artworks",
  singular: "artwork",
  shortNames: ["art", "arts"],
  schema: Artwork,
  source: "artwork.ts",
  description: "One generation request: a prompt rendered by a ModelPool into curated images.",
  printerColumns: [
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Progress", type: "string", jsonPath: ".status.progress.percent", description: "Percent done." },
    { name: "Model", type: "string", jsonPath: ".status.model" },
    {
      name: "Score",
      type: "number",
      jsonPath: ".status.selected.score",
      description: "Ensemble score of the kept image.",
    },
    age,
    { name: "Pool", type: "string", jsonPath: ".spec.poolRef.name", priority: 1 },
    { name: "Worker", type: "string", jsonPath: ".status.worker", priority: 1 },
    { name: "Seed", type: "integer", jsonPath: ".status.seed", priority: 1 },
    { name: "Prompt", type: "string", jsonPath: ".spec.prompt", priority: 1 },
  ],
};

export const MODEL_POOL: KindDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "ModelPool",
  plural: "modelpools",
  singular: "modelpool",
  shortNames: ["mp", "pool"],
  schema: ModelPool,
  source: "model-pool.ts",
  description: "A set of worker pods that keep models loaded and warm.",
  printerColumns: [
    { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas", description: "Warm workers." },
    { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
    { name: "Models", type: "string", jsonPath: ".status.modelNames" },
    age,
    { name: "Accelerator", type: "string", jsonPath: ".spec.accelerator", priority: 1 },
    { name: "Queue", type: "integer", jsonPath: ".status.queueDepth", priority: 1 },
  ],
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".status.selector",
  },
};

export const LEARNING_STATE: KindDefinition = {
  group: GROUP,
  version: VERSION,
  kind: "LearningState",
  plural: "learningstates",
  singular: "learningstate",
  shortNames: ["ls", "learn"],
  schema: LearningState,
  source: "learning-state.ts",
  description: "What Aria has learned from people's reactions, per model and mood.",
  printerColumns: [
    { name: "Policy", type: "string", jsonPath: ".spec.policy.algorithm" },
    { name: "Epsilon", type: "number", jsonPath: ".spec.policy.epsilon" },
    { name: "Last-Fold", type: "date", jsonPath: ".status.lastFoldTime" },
    age,
  ],
};

export const KINDS: KindDefinition[] = [ARTWORK, MODEL_POOL, LEARNING_STATE];
