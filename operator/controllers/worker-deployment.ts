// The Kubernetes objects a ModelPool owns, computed from its spec (pure, so it is unit-tested).
import { createHash } from "node:crypto";
import type {
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Deployment,
  V1PodDisruptionBudget,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import { API_VERSION } from "../../crds/api.ts";
import { MODEL_VOLUME_PREFIX, WORKER_NAME_PREFIX, type ModelPool } from "../../crds/model-pool.ts";
import { COMPONENT_LABEL, MODELS_MOUNT, POOL_LABEL, WORKER_COMPONENT } from "../../crds/worker-protocol.ts";
import type { OperatorConfig } from "../config.ts";

export const WORKER_PORT = 8080;
/** HTTPS port of the preview streams (callers send bearer tokens). */
export const WORKER_SECURE_PORT = 8443;
export const IMAGES_MOUNT = "/var/lib/aria/images";
/** Where a worker pod keeps downloaded models: the pool's spec.modelCache, or an emptyDir. */
export const MODEL_CACHE_MOUNT = "/var/cache/aria/models";
export const SPEC_HASH_ANNOTATION = "aria.dev/spec-hash";
/** Shared by every pool of a namespace, so not owned by any one pool. */
export const WORKER_SERVICE_ACCOUNT = "aria-worker";
/** The ClusterRole (rbac-worker.yaml) that lets workers check preview callers' tokens. */
export const WORKER_REVIEWS_ROLE = "aria-worker-reviews";

/** The ClusterRoleBinding that lets a namespace's workers review preview callers' tokens. */
export function reviewBindingName(namespace: string) {
  return `${WORKER_REVIEWS_ROLE}-${namespace}`;
}

/** The CUDA variant of a worker image: its tag with "-cuda" (images/image-spec.ts builds both). */
export function cudaImage(image: string) {
  const at = image.indexOf("@");
  const name = at === -1 ? image : image.slice(0, at);
  const tagged = name.lastIndexOf(":") > name.lastIndexOf("/");
  return tagged ? `${name}-cuda` : `${name}:latest-cuda`;
}

export function workerName(pool: ModelPool) {
  return `${WORKER_NAME_PREFIX}${pool.metadata.name}`;
}

export function poolSelector(pool: ModelPool) {
  return { [POOL_LABEL]: pool.metadata.name ?? "" };
}

export function selectorString(pool: ModelPool) {
  return Object.entries(poolSelector(pool))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function labels(pool: ModelPool) {
  return {
    "app.kubernetes.io/name": "aria-worker",
    "app.kubernetes.io/instance": pool.metadata.name ?? "",
    "app.kubernetes.io/managed-by": "aria-operator",
    [COMPONENT_LABEL]: WORKER_COMPONENT,
    ...poolSelector(pool),
  };
}

function ownerReference(pool: ModelPool) {
  return {
    apiVersion: API_VERSION,
    kind: "ModelPool",
    name: pool.metadata.name ?? "",
    uid: pool.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

function meta(pool: ModelPool, name: string, hash: string) {
  return {
    name,
    namespace: pool.metadata.namespace,
    labels: labels(pool),
    annotations: { [SPEC_HASH_ANNOTATION]: hash },
    ownerReferences: [ownerReference(pool)],
  };
}

/**
 * What this file builds, as a version: raised whenever desiredObjects changes (2: the HTTPS port
 * and the review binding; 3: the image's entrypoint instead of a source checkout's tsx, POD_UID), so an upgraded operator re-applies the objects of existing pools.
 */
const OBJECTS_REVISION = 3;

/** Changes whenever anything the worker pods are built from changes, so a spec change rolls them. */
export function specHash(pool: ModelPool, config: OperatorConfig) {
  return createHash("sha256")
    .update(
      JSON.stringify([
        OBJECTS_REVISION,
        pool.spec,
        config.workerImage,
        config.imagesClaim,
        config.tokenAudiences,
        config.storageDir.startsWith("s3://")
          ? [config.storageDir, config.s3Endpoint, config.s3CredentialsSecret]
          : [],
      ]),
    )
    .digest("hex")
    .slice(0, 16);
}

/**
 * What the pods are made from: the spec without its replica count, so a model change (the
 * ConfigMap the pods read at start) rolls them and `kubectl scale` never does.
 */
export function podTemplateHash(pool: ModelPool, config: OperatorConfig) {
  return specHash({ ...pool, spec: { ...pool.spec, replicas: 0 } }, config);
}

export function desiredObjects(pool: ModelPool, config: OperatorConfig) {
  const hash = specHash(pool, config);
  const name = workerName(pool);
  const spec = pool.spec;
  const cuda = spec.accelerator === "cuda";
  const limits: Record<string, string> = Object.fromEntries(
    Object.entries(spec.resources?.limits ?? {}).map(([k, v]) => [k, String(v)]),
  );
  if (cuda && limits["nvidia.com/gpu"] === undefined) limits["nvidia.com/gpu"] = "1";
  const requests = Object.fromEntries(
    Object.entries(spec.resources?.requests ?? {}).map(([k, v]) => [k, String(v)]),
  );

  // An s3:// store needs no volume: workers on any node reach the bucket.
  const s3 = config.storageDir.startsWith("s3://");
  const volumes: V1Volume[] = [
    ...(s3 ? [] : [{ name: "images", persistentVolumeClaim: { claimName: config.imagesClaim } }]),
    { name: "models-config", configMap: { name: `${name}-models` } },
    {
      name: "model-cache",
      ...(spec.modelCache?.pvc
        ? { persistentVolumeClaim: { claimName: spec.modelCache.pvc.claimName } }
        : spec.modelCache?.hostPath
          ? { hostPath: { path: spec.modelCache.hostPath.path, type: "DirectoryOrCreate" } }
          : { emptyDir: {} }),
    },
  ];
  const mounts: V1VolumeMount[] = [
    ...(s3 ? [] : [{ name: "images", mountPath: IMAGES_MOUNT }]),
    { name: "models-config", mountPath: "/etc/aria", readOnly: true },
    { name: "model-cache", mountPath: MODEL_CACHE_MOUNT },
  ];
  for (const m of spec.models) {
    if (!m.source.pvc) continue;
    const volume = `${MODEL_VOLUME_PREFIX}${m.name}`;
    volumes.push({
      name: volume,
      persistentVolumeClaim: { claimName: m.source.pvc.claimName, readOnly: true },
    });
    mounts.push({
      name: volume,
      mountPath: `${MODELS_MOUNT}/${m.name}`,
      ...(m.source.pvc.subPath ? { subPath: m.source.pvc.subPath } : {}),
      readOnly: true,
    });
  }

  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(pool, name, hash),
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { matchLabels: poolSelector(pool) },
      template: {
        metadata: {
          labels: labels(pool),
          annotations: { [SPEC_HASH_ANNOTATION]: podTemplateHash(pool, config) },
        },
        spec: {
          serviceAccountName: WORKER_SERVICE_ACCOUNT,
          // Draining lets in-flight Artworks finish or be handed back before the pod goes.
          terminationGracePeriodSeconds: 300,
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
          containers: [
            {
              name: "worker",
              image: spec.image ?? (cuda ? cudaImage(config.workerImage) : config.workerImage),
              ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
              // The image's entrypoint starts the worker; these are its flags.
              args: [
                "--pool",
                pool.metadata.name ?? "",
                "--namespace",
                pool.metadata.namespace ?? "",
                "--storage-dir",
                s3 ? config.storageDir : IMAGES_MOUNT,
                ...(s3 && config.s3Endpoint ? ["--s3-endpoint", config.s3Endpoint] : []),
                "--model-cache",
                MODEL_CACHE_MOUNT,
                "--port",
                String(WORKER_PORT),
                "--secure-port",
                String(WORKER_SECURE_PORT),
                // Preview callers' tokens are held to the same audiences as the feedback API's.
                ...(config.tokenAudiences.length
                  ? ["--token-audiences", config.tokenAudiences.join(",")]
                  : []),
              ],
              env: [
                { name: "WORKER_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                // Owns the worker's heartbeat Lease, so the Lease goes when the pod does.
                { name: "POD_UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
                // The address its preview endpoint is announced at (WorkerReport.stream).
                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
              ],
              ...(s3 && config.s3CredentialsSecret
                ? { envFrom: [{ secretRef: { name: config.s3CredentialsSecret } }] }
                : {}),
              ports: [
                { name: "http", containerPort: WORKER_PORT },
                { name: "https", containerPort: WORKER_SECURE_PORT },
              ],
              // Models load and warm up before /readyz turns green; the startup probe allows for it.
              startupProbe: {
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds: 5,
                failureThreshold: 60,
              },
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 },
              livenessProbe: {
                httpGet: { path: "/healthz", port: "http" },
                periodSeconds: 10,
                failureThreshold: 6,
              },
              resources: {
                ...(Object.keys(requests).length ? { requests } : {}),
                ...(Object.keys(limits).length ? { limits } : {}),
              },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(pool, name, hash),
    spec: {
      selector: poolSelector(pool),
      ports: [
        { name: "http", port: WORKER_PORT, targetPort: "http" },
        { name: "https", port: WORKER_SECURE_PORT, targetPort: "https" },
      ],
    },
  };
  const pdb: V1PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(pool, name, hash),
    spec: { maxUnavailable: 1, selector: { matchLabels: poolSelector(pool) } },
  };
  const configMap: V1ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(pool, `${name}-models`, hash),
    data: { "models.json": JSON.stringify(spec.models, null, 2) },
  };
  // The worker's identity in the pool's namespace, bound to the aria-worker ClusterRole.
  const serviceAccount: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: WORKER_SERVICE_ACCOUNT, namespace: pool.metadata.namespace, labels: labels(pool) },
  };
  const roleBinding: V1RoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: WORKER_SERVICE_ACCOUNT, namespace: pool.metadata.namespace, labels: labels(pool) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: WORKER_SERVICE_ACCOUNT },
    subjects: [{ kind: "ServiceAccount", name: WORKER_SERVICE_ACCOUNT, namespace: pool.metadata.namespace }],
  };
  // TokenReview and SubjectAccessReview are cluster-scoped, so the namespace's RoleBinding cannot
  // grant them: workers check preview callers (worker/http/stream-server.ts) through this binding.
  const reviewBinding: V1ClusterRoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: reviewBindingName(pool.metadata.namespace ?? ""), labels: labels(pool) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: WORKER_REVIEWS_ROLE },
    subjects: [{ kind: "ServiceAccount", name: WORKER_SERVICE_ACCOUNT, namespace: pool.metadata.namespace }],
  };
  return { deployment, service, pdb, configMap, serviceAccount, roleBinding, reviewBinding, hash };
}
