import { ARTWORK_LIMITS, SCHEDULERS } from "./artwork.ts";
import { Conditions } from "./condition.ts";
import {
  cel,
  Dns1123Label,
  Dns1123Subdomain,
  ObjectMeta,
  Quantity,
  ResourceList,
  StringEnum,
  StringMap,
  Type,
  type Static,
} from "./schema.ts";

export const MODEL_ROLES = ["generator", "refiner", "clip", "aesthetic"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

export const ACCELERATORS = ["cpu", "cuda"] as const;
export type Accelerator = (typeof ACCELERATORS)[number];

/**
 * The worker Deployment, Service and PodDisruptionBudget of pool P are named WORKER_NAME_PREFIX + P.
 * A Service name is a DNS-1035 label (at most 63 characters), which bounds the pool's name; the
 * same bound keeps the pool's label values (at most 63) valid.
 */
export const WORKER_NAME_PREFIX = "aria-worker-";
export const MAX_POOL_NAME_LENGTH = 63 - WORKER_NAME_PREFIX.length;
/** A model with a pvc source is mounted from a volume named MODEL_VOLUME_PREFIX + its name (a DNS-1123 label). */
export const MODEL_VOLUME_PREFIX = "model-";
export const MAX_PVC_MODEL_NAME_LENGTH = 63 - MODEL_VOLUME_PREFIX.length;

export const MODEL_LOAD_STATES = ["Pending", "Loading", "Warming", "Ready", "Failed"] as const;
export type ModelLoadState = (typeof MODEL_LOAD_STATES)[number];

export const ModelSource = Type.Object(
  {
    builtin: Type.Optional(
      Type.String({
        maxLength: 63,
        description: "A model shipped with Aria, such as aria-painter, aria-clip, aria-aesthetic.",
      }),
    ),
    path: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: "^/",
        description: "Absolute path in the worker image.",
      }),
    ),
    pvc: Type.Optional(
      Type.Object({
        claimName: Dns1123Subdomain({ description: "PersistentVolumeClaim in the pool's namespace." }),
        subPath: Type.Optional(
          Type.String({
            maxLength: 1024,
            description: "Folder of the model inside the volume: a relative path without '..' segments.",
            // Kubernetes accepts only these in a volume mount, and says so only when it creates a pod.
            ...cel(
              {
                rule: "!self.startsWith('/')",
                message:
                  "spec.models[].source.pvc.subPath must be a relative path inside the volume; it must not start with '/'",
              },
              {
                rule: "!self.matches('(^|/)[.][.](/|$)')",
                message:
                  "spec.models[].source.pvc.subPath must not contain a '..' segment; it must stay inside the volume",
              },
            ),
          }),
        ),
      }),
    ),
    url: Type.Optional(
      Type.Object({
        url: Type.String({
          maxLength: 2048,
          pattern: "^https?://",
          description: "HTTP(S) address of a model archive or file.",
        }),
        sha256: Type.String({
          pattern: "^[0-9a-f]{64}$",
          description: "Expected sha256 of the download, lower-case hex.",
        }),
      }),
    ),
    repo: Type.Optional(
      Type.Object({
        baseUrl: Type.String({
          maxLength: 2048,
          pattern: "^https?://",
          description:
            "Address each file's path is appended to, such as https://huggingface.co/stabilityai/sdxl-turbo/resolve/<commit>/onnx",
        }),
        files: Type.Array(
          Type.Object({
            path: Type.String({
              minLength: 1,
              maxLength: 1024,
              description: "The file's path in the folder, such as unet/model.onnx.",
              ...cel(
                {
                  rule: "!self.startsWith('/')",
                  message:
                    "spec.models[].source.repo.files[].path must be relative to the folder; it must not start with '/'",
                },
                {
                  rule: "!self.matches('(^|/)[.][.]?(/|$)')",
                  message: "spec.models[].source.repo.files[].path must not contain a '.' or '..' segment",
                },
              ),
            }),
            sha256: Type.String({
              pattern: "^[0-9a-f]{64}$",
              description: "Expected sha256 of the file, lower-case hex (a Hugging Face file page lists it).",
            }),
          }),
          {
            minItems: 1,
            maxItems: 256,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["path"],
            description: "Every file of the model folder, each checked against its sha256.",
          },
        ),
      }),
    ),
  },
  {
    description: "Where the model comes from: exactly one of builtin, path, pvc, url, repo.",
    ...cel({
      rule: "[has(self.builtin), has(self.path), has(self.pvc), has(self.url), has(self.repo)].filter(x, x).size() == 1",
      message: "source must set exactly one of builtin, path, pvc, url, repo",
    }),
  },
);
export type ModelSource = Static<typeof ModelSource>;

const L = ARTWORK_LIMITS;

/** What an Artwork that leaves a field out renders with on this generator, over the model folder's own defaults. */
export const GeneratorDefaultsSpec = Type.Object(
  {
    steps: Type.Optional(Type.Integer({ ...L.steps })),
    guidanceScale: Type.Optional(Type.Number({ ...L.guidanceScale })),
    scheduler: Type.Optional(StringEnum(SCHEDULERS, { description: "euler, euler-ancestral, ddim or lcm." })),
    width: Type.Optional(Type.Integer({ ...L.dimension })),
    height: Type.Optional(Type.Integer({ ...L.dimension })),
  },
  {
    description:
      "Generator defaults for Artworks that leave a field out (a Turbo model's 1 step and guidance 0, say); omitted: what the model folder's configs imply.",
  },
);
export type GeneratorDefaultsSpec = Static<typeof GeneratorDefaultsSpec>;

/** diffusers' high_noise_frac in its SDXL base + refiner example. */
export const DEFAULT_REFINER_SWITCH = 0.8;

/** A second stage for an SDXL generator: diffusers' "ensemble of expert denoisers". */
export const RefinerSpec = Type.Object(
  {
    model: Dns1123Label({ description: "A model of this pool with role refiner." }),
    switchAt: Type.Optional(
      Type.Number({
        default: DEFAULT_REFINER_SWITCH,
        description:
          "Share of the noise schedule the generator denoises before the refiner takes over (diffusers' denoising_end on the base, denoising_start on the refiner), between 0 and 1.",
        // A CEL rule rather than minimum/maximum: the API server prints a fractional bound as 0.
        ...cel({
          rule: "self > 0.0 && self < 1.0",
          message:
            "spec.models[].refiner.switchAt must be between 0 and 1, both excluded: the share of the schedule the generator denoises before the refiner, such as 0.8",
        }),
      }),
    ),
  },
  {
    description:
      "Every Artwork on this generator is finished by the refiner: the base denoises the high-noise steps, the refiner (such as stabilityai/stable-diffusion-xl-refiner-1.0) the rest, from the base's latents.",
  },
);
export type RefinerSpec = Static<typeof RefinerSpec>;

export const PoolModel = Type.Object(
  {
    name: Dns1123Label({ description: "Name Artworks use in spec.model." }),
    role: StringEnum(MODEL_ROLES, {
      description:
        "generator, refiner (an SDXL image-to-image model a generator names in its refiner), clip or aesthetic.",
    }),
    source: ModelSource,
    defaults: Type.Optional(GeneratorDefaultsSpec),
    refiner: Type.Optional(RefinerSpec),
  },
  {
    ...cel(
      {
        rule: `!has(self.source.pvc) || self.name.size() <= ${MAX_PVC_MODEL_NAME_LENGTH}`,
        message: `spec.models[].name: a model with a pvc source must have a name of at most ${MAX_PVC_MODEL_NAME_LENGTH} characters, since its worker volume is named ${MODEL_VOLUME_PREFIX}<name> (63 at most)`,
        fieldPath: ".name",
      },
      {
        rule: "!has(self.defaults) || self.role == 'generator'",
        message: "spec.models[].defaults applies to generators only; remove it or set role: generator",
        fieldPath: ".defaults",
      },
      {
        rule: "!has(self.refiner) || self.role == 'generator'",
        message: "spec.models[].refiner applies to generators only; remove it or set role: generator",
        fieldPath: ".refiner",
      },
    ),
  },
);
export type PoolModel = Static<typeof PoolModel>;

export const Toleration = Type.Object({
  key: Type.Optional(Type.String({ maxLength: 316 })),
  operator: Type.Optional(StringEnum(["Exists", "Equal"] as const)),
  value: Type.Optional(Type.String({ maxLength: 63 })),
  effect: Type.Optional(StringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"] as const)),
  tolerationSeconds: Type.Optional(Type.Integer()),
});

export const ModelPoolSpec = Type.Object(
  {
    models: Type.Array(PoolModel, {
      minItems: 1,
      maxItems: 16,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      description: "Models every worker of the pool loads and keeps warm.",
      ...cel(
        {
          rule: "self.exists(m, m.role == 'generator')",
          message: "spec.models must include at least one model with role generator",
        },
        {
          rule: "self.all(m, !has(m.refiner) || self.exists(r, r.name == m.refiner.model && r.role == 'refiner'))",
          message: "spec.models[].refiner.model must name a model of this pool with role refiner",
        },
      ),
    }),
    replicas: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, default: 1, description: "Worker pods." }),
    ),
    minReplicas: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, description: "Lower bound for autoscalers." }),
    ),
    maxReplicas: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: "Upper bound for autoscalers." }),
    ),
    accelerator: Type.Optional(StringEnum(ACCELERATORS, { default: "cpu", description: "cpu or cuda." })),
    image: Type.Optional(
      Type.String({ maxLength: 1024, description: "Worker image; defaults to the operator's." }),
    ),
    imagePullPolicy: Type.Optional(StringEnum(["Always", "IfNotPresent", "Never"] as const)),
    resources: Type.Optional(
      Type.Object(
        { requests: Type.Optional(ResourceList()), limits: Type.Optional(ResourceList()) },
        {
          description: "Compute resources of each worker container.",
        },
      ),
    ),
    nodeSelector: Type.Optional(StringMap({ description: "Node labels worker pods must match." })),
    tolerations: Type.Optional(Type.Array(Toleration, { maxItems: 32 })),
    concurrency: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        default: 1,
        description: "Artworks each worker runs at once.",
      }),
    ),
    batching: Type.Optional(
      Type.Object(
        {
          maxBatchSize: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: L.variations.maximum,
              default: 1,
              description:
                "Most candidates of one Artwork denoised together in one UNet run (diffusers' num_images_per_prompt); 1: one at a time. Needs an export with a dynamic batch dimension.",
            }),
          ),
          memoryBudget: Type.Optional(
            Quantity({
              description:
                "Working memory a batch may take beyond the loaded models, such as 6Gi; the worker batches fewer candidates when an estimate of their activations exceeds it. Omitted: no bound but maxBatchSize.",
            }),
          ),
        },
        {
          description:
            "Candidates batched through the UNet: on a GPU that is where a pool's throughput comes from. Each candidate's seed and image stay exactly what a batch of one gives.",
        },
      ),
    ),
    modelCache: Type.Optional(
      Type.Object(
        {
          pvc: Type.Optional(
            Type.Object({
              claimName: Dns1123Subdomain({
                description: "A ReadWriteMany claim the pool's workers share, or ReadWriteOnce on one node.",
              }),
            }),
          ),
          hostPath: Type.Optional(
            Type.Object({
              path: Type.String({
                pattern: "^/",
                maxLength: 1024,
                description: "An absolute directory on the node, kept across pods (created if absent).",
              }),
            }),
          ),
        },
        {
          description:
            "Where url and repo model sources are downloaded and found again after a restart: a PVC or a node path; omitted, an emptyDir that lasts as long as the pod.",
          ...cel({
            rule: "!(has(self.pvc) && has(self.hostPath))",
            message: "spec.modelCache sets at most one of pvc, hostPath",
          }),
        },
      ),
    ),
    warmup: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ default: true })),
          steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 2 })),
        },
        { description: "The run each worker makes before it reports ready." },
      ),
    ),
    learningStateRef: Type.Optional(
      Type.Object(
        { name: Dns1123Subdomain() },
        {
          description:
            "LearningState that chooses models for this pool; defaults to one named after the pool.",
        },
      ),
    ),
  },
  {
    ...cel(
      {
        rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
        message: "spec.minReplicas must be less than or equal to spec.maxReplicas",
      },
      {
        rule: "self.accelerator != 'cpu' || !has(self.resources) || !has(self.resources.limits) || !('nvidia.com/gpu' in self.resources.limits)",
        message:
          "spec.resources.limits requests nvidia.com/gpu but spec.accelerator is cpu; set accelerator: cuda",
      },
    ),
  },
);
export type ModelPoolSpec = Static<typeof ModelPoolSpec>;

export const ModelPoolStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Conditions),
  replicas: Type.Optional(Type.Integer({ minimum: 0, description: "Workers registered with the pool." })),
  readyReplicas: Type.Optional(
    Type.Integer({ minimum: 0, description: "Workers with every model loaded and warm." }),
  ),
  selector: Type.Optional(
    Type.String({ description: "Label selector of the worker pods, for the scale subresource." }),
  ),
  modelNames: Type.Optional(Type.String({ description: "The pool's models, for printer columns." })),
  queueDepth: Type.Optional(Type.Integer({ minimum: 0, description: "Artworks waiting for a free worker." })),
  inFlight: Type.Optional(
    Type.Integer({ minimum: 0, description: "Artworks running on the pool's workers." }),
  ),
  models: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        role: StringEnum(MODEL_ROLES),
        state: StringEnum(MODEL_LOAD_STATES),
        readyWorkers: Type.Integer({ minimum: 0 }),
        message: Type.Optional(Type.String()),
      }),
      { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
    ),
  ),
});
export type ModelPoolStatus = Static<typeof ModelPoolStatus>;

export const ModelPool = Type.Object(
  {
    apiVersion: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    metadata: ObjectMeta,
    spec: ModelPoolSpec,
    status: Type.Optional(ModelPoolStatus),
  },
  {
    // Object names may be DNS-1123 subdomains (dots, 253 characters); the worker objects' may not.
    ...cel(
      {
        rule: `self.metadata.name.size() <= ${MAX_POOL_NAME_LENGTH}`,
        message: `metadata.name: a ModelPool's name must be at most ${MAX_POOL_NAME_LENGTH} characters, since its worker Service is named ${WORKER_NAME_PREFIX}<name> (63 at most)`,
      },
      {
        rule: "self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
        message: `metadata.name: a ModelPool's name must consist of lower-case letters, digits and '-' (no '.'), since its worker Service is named ${WORKER_NAME_PREFIX}<name>, a DNS-1035 label`,
      },
    ),
  },
);
export type ModelPool = Static<typeof ModelPool>;
