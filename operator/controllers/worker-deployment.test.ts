import { describe, expect, it } from "vitest";
import type { ModelPool, ModelPoolSpec } from "../../crds/model-pool.ts";
import { parseConfig } from "../config.ts";
import { desiredObjects, MODEL_CACHE_MOUNT } from "./worker-deployment.ts";

const pool = (spec: Partial<ModelPoolSpec> = {}): ModelPool => ({
  apiVersion: "aria.dev/v1alpha1",
  kind: "ModelPool",
  metadata: { name: "studio", namespace: "gallery", uid: "u1" },
  spec: { models: [{ name: "painter", role: "generator", source: { builtin: "aria-painter" } }], ...spec },
});

function podOf(p: ModelPool, argv: string[] = []) {
  const config = parseConfig(argv, {}, "test");
  if (config === "help") throw new Error("parseConfig asked for help");
  const spec = desiredObjects(p, config).deployment.spec!.template.spec!;
  return { spec, worker: spec.containers[0]! };
}

describe("the worker Deployment", () => {
  it("runs the -cuda variant of the worker image for a cuda pool that names no image", () => {
    const argv = ["--worker-image", "registry.example.com:5000/aria/aria-worker:1.2"];
    expect(podOf(pool({ accelerator: "cuda" }), argv).worker.image).toBe(
      "registry.example.com:5000/aria/aria-worker:1.2-cuda",
    );
    expect(podOf(pool({ accelerator: "cpu" }), argv).worker.image).toBe(
      "registry.example.com:5000/aria/aria-worker:1.2",
    );
    expect(podOf(pool({ accelerator: "cuda", image: "ghcr.io/me/mine:3" }), argv).worker.image).toBe(
      "ghcr.io/me/mine:3",
    );
  });

  it("runs the image's own entrypoint, with the worker's flags as args", () => {
    const { worker } = podOf(pool());
    expect(worker.command).toBeUndefined();
    expect(worker.args?.slice(0, 2)).toEqual(["--pool", "studio"]);
  });

  it("scaling changes the replica count but not the pod template (no rollout); a model change rolls the pods", () => {
    const config = parseConfig([], {}, "test");
    if (config === "help") throw new Error("parseConfig asked for help");
    const two = desiredObjects(pool({ replicas: 2 }), config);
    const four = desiredObjects(pool({ replicas: 4 }), config);
    expect(four.deployment.spec?.replicas).toBe(4);
    expect(four.hash).not.toBe(two.hash);
    expect(four.deployment.spec?.template).toEqual(two.deployment.spec?.template);
    const otherModel = desiredObjects(
      pool({
        replicas: 2,
        models: [{ name: "painter", role: "generator", source: { builtin: "aria-clip" } }],
      }),
      config,
    );
    expect(otherModel.deployment.spec?.template.metadata?.annotations).not.toEqual(
      two.deployment.spec?.template.metadata?.annotations,
    );
  });

  it("mounts the images volume and an emptyDir model cache by default", () => {
    const { spec, worker } = podOf(pool());
    expect(spec.volumes?.find((v) => v.name === "images")?.persistentVolumeClaim?.claimName).toBe(
      "aria-images",
    );
    expect(spec.volumes?.find((v) => v.name === "model-cache")).toEqual({
      name: "model-cache",
      emptyDir: {},
    });
    expect(worker.args).toEqual(expect.arrayContaining(["--model-cache", MODEL_CACHE_MOUNT]));
  });

  it("keeps downloads on the pool's modelCache PVC or node path", () => {
    const onPvc = podOf(pool({ modelCache: { pvc: { claimName: "weights-cache" } } }));
    expect(onPvc.spec.volumes?.find((v) => v.name === "model-cache")?.persistentVolumeClaim).toEqual({
      claimName: "weights-cache",
    });
    const onNode = podOf(pool({ modelCache: { hostPath: { path: "/var/cache/aria" } } }));
    expect(onNode.spec.volumes?.find((v) => v.name === "model-cache")?.hostPath).toEqual({
      path: "/var/cache/aria",
      type: "DirectoryOrCreate",
    });
  });

  it("points workers at an s3:// store with the credentials Secret, and needs no images volume", () => {
    const { spec, worker } = podOf(pool(), [
      "--storage-dir",
      "s3://aria-images/gallery",
      "--s3-endpoint",
      "https://minio.storage:9000",
      "--s3-credentials-secret",
      "aria-s3",
    ]);
    expect(spec.volumes?.some((v) => v.name === "images")).toBe(false);
    expect(worker.volumeMounts?.some((m) => m.name === "images")).toBe(false);
    const args = worker.args!.join(" ");
    expect(args).toContain("--storage-dir s3://aria-images/gallery");
    expect(args).toContain("--s3-endpoint https://minio.storage:9000");
    expect(worker.envFrom).toEqual([{ secretRef: { name: "aria-s3" } }]);
  });
});
