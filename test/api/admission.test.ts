// The API as a user meets it: kubectl against the real kube-apiserver with Aria's CRDs installed.
import { readdir } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  MAX_POOL_NAME_LENGTH,
  MAX_PVC_MODEL_NAME_LENGTH,
  type ModelPool,
  type PoolModel,
} from "../../crds/model-pool.ts";
import { parseConfig } from "../../operator/config.ts";
import { desiredObjects } from "../../operator/controllers/worker-deployment.ts";
import { createNamespace, kubectl } from "../support/cluster.ts";

let ns: string;
beforeAll(async () => {
  ns = await createNamespace("api");
});

const pool = (spec: Record<string, unknown>) => ({
  apiVersion: "aria.dev/v1alpha1",
  kind: "ModelPool",
  metadata: { name: "bad-pool" },
  spec: { models: [{ name: "painter", role: "generator", source: { builtin: "aria-painter" } }], ...spec },
});
const artwork = (spec: Record<string, unknown>) => ({
  apiVersion: "aria.dev/v1alpha1",
  kind: "Artwork",
  metadata: { name: "bad-art" },
  spec: { prompt: "a red fox", poolRef: { name: "studio" }, ...spec },
});
const learning = (spec: Record<string, unknown>) => ({
  apiVersion: "aria.dev/v1alpha1",
  kind: "LearningState",
  metadata: { name: "bad-ls" },
  spec,
});

/** A pool whose generator loads from a PVC, mounted as a volume named after the model. */
const pvcPool = (name: string, modelName: string, subPath: string) => ({
  ...pool({
    models: [{ name: modelName, role: "generator", source: { pvc: { claimName: "weights", subPath } } }],
  }),
  metadata: { name },
});
/** The longest names the API accepts: 51 + "aria-worker-" and 57 + "model-" are 63 characters each. */
const longestPoolName = "p".repeat(MAX_POOL_NAME_LENGTH - 2) + "-1";
const longestModelName = "m".repeat(MAX_PVC_MODEL_NAME_LENGTH - 2) + "-1";

const withoutPrompt = artwork({});
delete (withoutPrompt.spec as Record<string, unknown>).prompt;

const invalid: Array<[string, object, string[]]> = [
  ["Artwork without prompt", withoutPrompt, ["spec.prompt", "Required value"]],
  ["Artwork with an empty prompt", artwork({ prompt: "" }), ["spec.prompt", "at least 1 chars long"]],
  [
    "Artwork with a 2001-character prompt",
    artwork({ prompt: "x".repeat(2001) }),
    ["spec.prompt", "Too long", "2000"],
  ],
  [
    "Artwork without poolRef",
    { ...artwork({}), spec: { prompt: "a fox" } },
    ["spec.poolRef", "Required value"],
  ],
  [
    "Artwork with an invalid pool name",
    artwork({ poolRef: { name: "Studio_1" } }),
    ["spec.poolRef.name", "should match"],
  ],
  ["Artwork with 0 steps", artwork({ steps: 0 }), ["spec.steps", "greater than or equal to 1"]],
  ["Artwork with 151 steps", artwork({ steps: 151 }), ["spec.steps", "less than or equal to 150"]],
  [
    "Artwork with guidance 31",
    artwork({ guidanceScale: 31 }),
    ["spec.guidanceScale", "less than or equal to 30"],
  ],
  ["Artwork with a width not a multiple of 8", artwork({ width: 500 }), ["spec.width", "multiple of 8"]],
  ["Artwork wider than 2048", artwork({ width: 4096 }), ["spec.width", "less than or equal to 2048"]],
  [
    "Artwork over the pixel ceiling",
    artwork({ width: 2048, height: 2048 }),
    ["spec.width × spec.height must be at most 2359296 pixels"],
  ],
  [
    "Artwork with 0 variations",
    artwork({ variations: 0 }),
    ["spec.variations", "greater than or equal to 1"],
  ],
  [
    "Artwork with 17 variations",
    artwork({ variations: 17 }),
    ["spec.variations", "less than or equal to 16"],
  ],
  ["Artwork with a negative seed", artwork({ seed: -1 }), ["spec.seed", "greater than or equal to 0"]],
  [
    "Artwork with a seed past 2^32-1",
    artwork({ seed: 4294967296 }),
    ["spec.seed", "less than or equal to 4294967295"],
  ],
  [
    "Artwork with an unknown scheduler",
    artwork({ scheduler: "karras" }),
    ["spec.scheduler", 'Unsupported value: "karras"', '"euler", "euler-ancestral", "ddim", "lcm"'],
  ],
  [
    "Artwork with an unknown mood",
    artwork({ mood: "angry" }),
    ["spec.mood", 'Unsupported value: "angry"', '"serene"'],
  ],
  ["Artwork with an unknown field", artwork({ colour: "red" }), ['unknown field "spec.colour"']],
  [
    "Artwork asking for gif",
    artwork({ output: { formats: ["gif"] } }),
    ["spec.output.formats[0]", 'Unsupported value: "gif"', '"png", "webp", "avif", "jpeg", "tiff"'],
  ],
  [
    "Artwork upscaled 8×",
    artwork({ output: { upscale: 8 } }),
    ["spec.output.upscale", "less than or equal to 4"],
  ],
  [
    "Artwork with all curation weights 0",
    artwork({ curation: { weights: { clip: 0, aesthetic: 0, technical: 0 } } }),
    ["at least one of clip, aesthetic, technical must be greater than 0"],
  ],
  [
    "Artwork with 0 attempts",
    artwork({ maxAttempts: 0 }),
    ["spec.maxAttempts", "greater than or equal to 1"],
  ],
  [
    "ModelPool without a generator",
    pool({ models: [{ name: "clip", role: "clip", source: { builtin: "aria-clip" } }] }),
    ["spec.models must include at least one model with role generator"],
  ],
  [
    "ModelPool model with two sources",
    pool({
      models: [{ name: "p", role: "generator", source: { builtin: "aria-painter", path: "/models/p" } }],
    }),
    ["source must set exactly one of builtin, path, pvc, url, repo"],
  ],
  [
    "ModelPool URL source without sha256",
    pool({
      models: [{ name: "p", role: "generator", source: { url: { url: "https://example.com/m.tar" } } }],
    }),
    ["spec.models[0].source.url.sha256", "Required value"],
  ],
  [
    "ModelPool with an unknown role",
    pool({ models: [{ name: "p", role: "vae", source: { builtin: "aria-painter" } }] }),
    ['Unsupported value: "vae"', '"generator", "refiner", "clip", "aesthetic"'],
  ],
  ["ModelPool with no models", pool({ models: [] }), ["spec.models", "at least 1 items"]],
  [
    "ModelPool with duplicate model names",
    pool({
      models: [
        { name: "p", role: "generator", source: { builtin: "a" } },
        { name: "p", role: "clip", source: { builtin: "b" } },
      ],
    }),
    ["spec.models[1]", "Duplicate value"],
  ],
  [
    "ModelPool with minReplicas > maxReplicas",
    pool({ minReplicas: 5, maxReplicas: 2 }),
    ["spec.minReplicas must be less than or equal to spec.maxReplicas"],
  ],
  [
    "ModelPool on a tpu",
    pool({ accelerator: "tpu" }),
    ["spec.accelerator", 'Unsupported value: "tpu"', '"cpu", "cuda"'],
  ],
  [
    "ModelPool with concurrency 0",
    pool({ concurrency: 0 }),
    ["spec.concurrency", "greater than or equal to 1"],
  ],
  [
    "ModelPool asking for a GPU on cpu",
    pool({ resources: { limits: { "nvidia.com/gpu": 1 } } }),
    ["set accelerator: cuda"],
  ],
  [
    "ModelPool with a 52-character name",
    pvcPool(longestPoolName + "x", "painter", "sd"),
    [
      "metadata.name: a ModelPool's name must be at most 51 characters, since its worker Service is named aria-worker-<name> (63 at most)",
    ],
  ],
  [
    "ModelPool with a dot in its name",
    pvcPool("studio.v2", "painter", "sd"),
    [
      "metadata.name: a ModelPool's name must consist of lower-case letters, digits and '-' (no '.'), since its worker Service is named aria-worker-<name>, a DNS-1035 label",
    ],
  ],
  [
    "ModelPool with a 58-character name on a pvc model",
    pvcPool("bad-pool", longestModelName + "x", "sd"),
    [
      "spec.models[0].name",
      "spec.models[].name: a model with a pvc source must have a name of at most 57 characters, since its worker volume is named model-<name> (63 at most)",
    ],
  ],
  [
    "ModelPool with a '..' segment in a pvc subPath",
    pvcPool("bad-pool", "painter", "models/../../etc"),
    [
      "spec.models[0].source.pvc.subPath",
      "spec.models[].source.pvc.subPath must not contain a '..' segment; it must stay inside the volume",
    ],
  ],
  [
    "ModelPool with a subPath of just '..'",
    pvcPool("bad-pool", "painter", ".."),
    ["spec.models[].source.pvc.subPath must not contain a '..' segment"],
  ],
  [
    "ModelPool with an absolute pvc subPath",
    pvcPool("bad-pool", "painter", "/etc/models"),
    [
      "spec.models[0].source.pvc.subPath",
      "spec.models[].source.pvc.subPath must be a relative path inside the volume; it must not start with '/'",
    ],
  ],
  [
    "Artwork with an unknown longPrompt mode",
    artwork({ longPrompt: "Wrap" }),
    ["spec.longPrompt", 'Unsupported value: "Wrap"', '"Truncate", "Chunk"'],
  ],
  [
    "ModelPool with defaults on a clip model",
    pool({
      models: [
        { name: "painter", role: "generator", source: { builtin: "aria-painter" } },
        { name: "clip", role: "clip", source: { builtin: "aria-clip" }, defaults: { steps: 4 } },
      ],
    }),
    ["spec.models[1].defaults", "spec.models[].defaults applies to generators only"],
  ],
  [
    "ModelPool whose generator names a refiner it does not have",
    pool({
      models: [
        {
          name: "sdxl",
          role: "generator",
          source: { path: "/models/sdxl" },
          refiner: { model: "clip" },
        },
        { name: "clip", role: "clip", source: { builtin: "aria-clip" } },
      ],
    }),
    ["spec.models", "spec.models[].refiner.model must name a model of this pool with role refiner"],
  ],
  [
    "ModelPool with a refiner on a clip model and a switch point of 1",
    pool({
      models: [
        { name: "sdxl", role: "generator", source: { path: "/models/sdxl" } },
        { name: "refiner", role: "refiner", source: { path: "/models/refiner" } },
        {
          name: "clip",
          role: "clip",
          source: { builtin: "aria-clip" },
          refiner: { model: "refiner", switchAt: 1 },
        },
      ],
    }),
    [
      "spec.models[2].refiner",
      "spec.models[].refiner applies to generators only",
      "spec.models[2].refiner.switchAt",
      "spec.models[].refiner.switchAt must be between 0 and 1, both excluded",
    ],
  ],
  [
    "ModelPool generator defaulting to 200 steps",
    pool({
      models: [
        { name: "p", role: "generator", source: { builtin: "aria-painter" }, defaults: { steps: 200 } },
      ],
    }),
    ["spec.models[0].defaults.steps", "less than or equal to 150"],
  ],
  [
    "ModelPool batching 17 candidates",
    pool({ batching: { maxBatchSize: 17 } }),
    ["spec.batching.maxBatchSize", "less than or equal to 16"],
  ],
  [
    "ModelPool with a memory budget that is not a quantity",
    pool({ batching: { maxBatchSize: 4, memoryBudget: "6 gigs" } }),
    ["spec.batching.memoryBudget", "should match"],
  ],
  [
    "ModelPool repo file outside its folder",
    pool({
      models: [
        {
          name: "p",
          role: "generator",
          source: {
            repo: {
              baseUrl: "https://huggingface.co/x/y/resolve/main",
              files: [{ path: "../etc/passwd", sha256: "a".repeat(64) }],
            },
          },
        },
      ],
    }),
    ["spec.models[].source.repo.files[].path must not contain a '.' or '..' segment"],
  ],
  [
    "ModelPool caching models on both a PVC and a node path",
    pool({ modelCache: { pvc: { claimName: "models" }, hostPath: { path: "/var/cache/aria" } } }),
    ["spec.modelCache sets at most one of pvc, hostPath"],
  ],
  [
    "LearningState with epsilon 1.5",
    learning({ policy: { epsilon: 1.5 } }),
    ["spec.policy.epsilon", "less than or equal to 1"],
  ],
  [
    "LearningState with an unknown algorithm",
    learning({ policy: { algorithm: "ucb" } }),
    ['Unsupported value: "ucb"', '"epsilon-greedy", "thompson"'],
  ],
  ["LearningState rewarding deletes", learning({ rewards: { delete: 3 } }), ["delete must not be positive"]],
  [
    "LearningState with a huge reward",
    learning({ rewards: { like: 1000 } }),
    ["spec.rewards.like", "less than or equal to 100"],
  ],
  [
    "LearningState with a zero half-life",
    learning({ decay: { halfLifeHours: 0 } }),
    ["spec.decay.halfLifeHours must be greater than 0"],
  ],
];

describe("admission", () => {
  it("accepts every manifest in samples/", async () => {
    const files = (await readdir("samples")).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const result = await kubectl(["apply", "-n", ns, "-f", "samples/"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("modelpool.aria.dev/studio created");
    expect(result.stdout).toContain("artwork.aria.dev/sunrise created");
  });

  it("accepts the pools for real models in samples/real-models", async () => {
    const result = await kubectl(["apply", "-n", ns, "--dry-run=server", "-f", "samples/real-models/"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("modelpool.aria.dev/sdxl created (server dry run)");
  });

  it.each(invalid)("rejects %s with a message naming the problem", async (_name, manifest, messages) => {
    const result = await kubectl(["apply", "-n", ns, "--dry-run=server", "-f", "-"], stringify(manifest));
    expect(result.code).not.toBe(0);
    for (const message of messages) expect(result.stderr).toContain(message);
  });

  it("accepts the longest names, and the worker objects the operator makes for them are valid", async () => {
    // A '..' inside a segment name is an ordinary file name; only a whole '..' segment climbs out.
    const manifest = pvcPool(longestPoolName, longestModelName, "weights/..v1.5/./onnx");
    const created = await kubectl(["apply", "-n", ns, "-f", "-"], stringify(manifest));
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const stored = JSON.parse(
      (await kubectl(["get", "mp", longestPoolName, "-n", ns, "-o", "json"])).stdout,
    ) as ModelPool;

    const { deployment, service } = workerObjects(stored);
    expect(service.metadata?.name).toHaveLength(63);
    expect(deployment.spec?.template.spec?.volumes?.map((v) => v.name)).toContain(
      `model-${longestModelName}`,
    );
    const result = await dryRunWorkerObjects(stored);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  // Each rule is as tight as Kubernetes: one step past it and the apiserver rejects a worker object.
  it.each<[string, (p: ModelPool) => void, string[]]>([
    [
      "a 52-character pool name",
      (p) => (p.metadata.name = longestPoolName + "x"),
      ['The Service "aria-worker-', "must be no more than 63 characters"],
    ],
    [
      "a dot in the pool name",
      (p) => (p.metadata.name = "studio.v2"),
      ['The Service "aria-worker-studio.v2" is invalid', "must not contain dots"],
    ],
    [
      "a 58-character pvc model name",
      (p) => (model(p).name = longestModelName + "x"),
      [
        'The Deployment "aria-worker-',
        "spec.template.spec.volumes[3].name",
        "must be no more than 63 characters",
      ],
    ],
    [
      "a '..' subPath segment",
      (p) => (model(p).source.pvc = { claimName: "weights", subPath: "weights/../.." }),
      ['The Deployment "aria-worker-', "containers[0].volumeMounts.subPath", "must not contain '..'"],
    ],
    [
      "an absolute subPath",
      (p) => (model(p).source.pvc = { claimName: "weights", subPath: "/weights" }),
      ['The Deployment "aria-worker-', "containers[0].volumeMounts.subPath", "must be a relative path"],
    ],
  ])("admission guards worker objects Kubernetes would reject for %s", async (_name, change, messages) => {
    const stored = JSON.parse(
      (await kubectl(["get", "mp", longestPoolName, "-n", ns, "-o", "json"])).stdout,
    ) as ModelPool;
    change(stored);
    const result = await dryRunWorkerObjects(stored);
    expect(result.code).not.toBe(0);
    for (const message of messages) expect(result.stderr).toContain(message);
  });

  it("fills in defaults a user can rely on", async () => {
    const result = await kubectl(["get", "art", "sunrise", "-n", ns, "-o", "json"]);
    const art = JSON.parse(result.stdout);
    expect(art.spec).toMatchObject({
      variations: 4,
      maxAttempts: 3,
      timeoutSeconds: 900,
      mood: "serene",
      retainPolicy: "Delete",
      longPrompt: "Truncate",
    });
    const ls = JSON.parse((await kubectl(["get", "ls", "studio", "-n", ns, "-o", "json"])).stdout);
    expect(ls.spec.policy).toEqual({ algorithm: "epsilon-greedy", epsilon: 0.15 });
  });

  it("rejects a change to an Artwork's spec", async () => {
    const result = await kubectl([
      "patch",
      "art",
      "nocturne",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"spec":{"steps":30}}',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("spec is immutable; create a new Artwork to re-render");
    const labels = await kubectl(["label", "art", "nocturne", "-n", ns, "team=night"]);
    expect(labels.code).toBe(0);
  });

  it("scales a ModelPool with kubectl scale", async () => {
    const result = await kubectl(["scale", "modelpool", "studio", "-n", ns, "--replicas=3"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("scaled");
    const pool = JSON.parse((await kubectl(["get", "mp", "studio", "-n", ns, "-o", "json"])).stdout);
    expect(pool.spec.replicas).toBe(3);
  });

  it("prints useful columns for kubectl get", async () => {
    const patch = JSON.stringify({
      status: {
        phase: "Generating",
        model: "aria-painter",
        progress: { step: 9, totalSteps: 20, variation: 1, variations: 4, percent: 45 },
      },
    });
    const patched = await kubectl([
      "patch",
      "art",
      "sunrise",
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "-p",
      patch,
    ]);
    expect(patched.stderr).toBe("");
    const arts = await kubectl(["get", "art", "-n", ns]);
    const [header, ...rows] = arts.stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual(["NAME", "PHASE", "PROGRESS", "MODEL", "SCORE", "AGE"]);
    expect(
      rows
        .find((r) => r.startsWith("sunrise"))
        ?.split(/\s+/)
        .slice(0, 4),
    ).toEqual(["sunrise", "Generating", "45", "aria-painter"]);

    const pools = await kubectl(["get", "mp", "-n", ns]);
    expect(pools.stdout.split("\n")[0]?.split(/\s+/)).toEqual(["NAME", "READY", "REPLICAS", "MODELS", "AGE"]);
    const all = await kubectl(["get", "aria", "-n", ns]);
    expect(all.stdout).toContain("artwork.aria.dev/sunrise");
    expect(all.stdout).toContain("modelpool.aria.dev/studio");
    expect(all.stdout).toContain("learningstate.aria.dev/studio");
  });
});

function model(p: ModelPool): PoolModel {
  const m = p.spec.models[0];
  if (!m) throw new Error("pool without models");
  return m;
}

function workerObjects(p: ModelPool) {
  const config = parseConfig([], {}, "admission-test");
  if (config === "help") throw new Error("unexpected --help");
  return desiredObjects(p, config);
}

/** The objects named after the pool and its models, as the operator applies them (server dry run). */
function dryRunWorkerObjects(p: ModelPool) {
  const { configMap, service, pdb, deployment } = workerObjects(p);
  const docs = [configMap, service, pdb, deployment].map((o) => stringify(o)).join("---\n");
  return kubectl(["apply", "-n", ns, "--dry-run=server", "-f", "-"], docs);
}
