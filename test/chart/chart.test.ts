// charts/aria as a user installs it: helm lint passes, the defaults and a full set of values render,
// the real API server accepts every rendered object (server-side dry run), and bad values are
// refused by values.schema.json with a message naming the value.
import type { V1Deployment, V1Secret } from "@kubernetes/client-node";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { createLogger } from "../../lib/observability/logger.ts";
import { vapidKeysFromPem } from "../../operator/push/vapid-keys.ts";
import { loadShareKey } from "../../operator/sharing/share-key.ts";
import { controlPlane, createNamespace, kubectl } from "../support/cluster.ts";
import { CHART_DIR, helm, helmLint, helmTemplate, helmTemplateResult, type Values } from "../support/helm.ts";

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

const FULL: Values = {
  operator: { replicas: 3, watchNamespace: "art", logLevel: "debug", nodeSelector: { pool: "system" } },
  storage: { pvc: { storageClass: "fast", size: "50Gi" } },
  defaultModelPool: {
    enabled: true,
    accelerator: "cuda",
    gpus: 2,
    replicas: 2,
    nodeSelector: { "nvidia.com/gpu.present": "true" },
    tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
  },
};

function objects(manifest: string): Manifest[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
}

function find(list: Manifest[], kind: string, name: string): Manifest {
  const o = list.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`the chart rendered no ${kind} ${name}`);
  return o;
}

let namespace: string;
beforeAll(async () => {
  namespace = await createNamespace("chart");
});

describe("charts/aria", () => {
  it("passes helm lint --strict with the defaults and with full values", async () => {
    for (const values of [undefined, FULL]) {
      const r = await helmLint({ values });
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  });

  it("renders an operator of two replicas that elects a leader, runs as non-root on a read-only root", async () => {
    const list = objects(await helmTemplate({ namespace: "aria-system" }));
    const deploy = find(list, "Deployment", "aria-operator") as unknown as V1Deployment;
    expect(deploy.spec?.replicas).toBe(2);
    const pod = deploy.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.args).toContain("--leader-election-namespace=aria-system");
    expect(c.args).toContain("--worker-image=ghcr.io/aria-dev/aria-worker:0.1.0");
    expect(c.env).toContainEqual({ name: "MALLOC_ARENA_MAX", value: "2" });
    expect(c.env).toContainEqual({ name: "NODE_OPTIONS", value: "--max-semi-space-size=4" });
    find(list, "Service", "aria-operator");
    find(list, "PersistentVolumeClaim", "aria-images");
    expect(list.some((o) => o.kind === "ModelPool")).toBe(false);
  });

  it("renders a cuda ModelPool requesting GPUs on the -cuda worker image, and S3 storage without a claim", async () => {
    const full = objects(await helmTemplate({ values: FULL }));
    expect(find(full, "ModelPool", "studio").spec).toMatchObject({
      accelerator: "cuda",
      image: "ghcr.io/aria-dev/aria-worker:0.1.0-cuda",
      resources: { limits: { "nvidia.com/gpu": 2 } },
      tolerations: [{ key: "nvidia.com/gpu" }],
    });
    const s3 = objects(
      await helmTemplate({ set: { "storage.s3": { bucket: "art", endpoint: "https://s3.example" } } }),
    );
    expect(s3.some((o) => o.kind === "PersistentVolumeClaim")).toBe(false);
    expect(JSON.stringify(find(s3, "Deployment", "aria-operator"))).toContain("--storage-dir=s3://art");
  });

  it("is accepted by the real API server in a server-side dry run", async () => {
    for (const values of [undefined, FULL]) {
      const manifest = await helmTemplate({ values, namespace, release: "dry" });
      const r = await kubectl(["apply", "--dry-run=server", "-n", namespace, "-f", "-"], manifest);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("deployment.apps/aria-operator created (server dry run)");
    }
  });

  it("makes the VAPID key the operator signs Web Push with, mounted for it; none when push is off", async () => {
    const list = objects(await helmTemplate({ namespace: "aria-system" }));
    const secret = find(list, "Secret", "aria-vapid") as unknown as V1Secret;
    // What genPrivateKey "ecdsa" makes is a key the operator takes.
    const pem = Buffer.from(secret.data!["vapid.key"]!, "base64").toString();
    expect(pem).toContain("BEGIN EC PRIVATE KEY");
    expect(Buffer.from(vapidKeysFromPem(pem).publicKey, "base64url")).toHaveLength(65);
    const pod = (find(list, "Deployment", "aria-operator") as unknown as V1Deployment).spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.args).toContain("--vapid-key-file=/etc/aria/vapid/vapid.key");
    expect(c.args!.some((a) => a.startsWith("--vapid-subject"))).toBe(false);
    expect(c.volumeMounts).toContainEqual({ name: "vapid", mountPath: "/etc/aria/vapid", readOnly: true });
    expect(pod.volumes).toContainEqual({
      name: "vapid",
      secret: { secretName: "aria-vapid", defaultMode: 0o440 },
    });

    const subject = objects(
      await helmTemplate({ set: { "gallery.push.subject": "mailto:art@example.org" } }),
    );
    const args = (find(subject, "Deployment", "aria-operator") as unknown as V1Deployment).spec!.template
      .spec!.containers[0]!.args;
    expect(args).toContain("--vapid-subject=mailto:art@example.org");

    const off = objects(await helmTemplate({ set: { "gallery.push.enabled": false } }));
    expect(off.some((o) => o.kind === "Secret" && o.metadata.name === "aria-vapid")).toBe(false);
    expect(JSON.stringify(find(off, "Deployment", "aria-operator"))).not.toContain("vapid");
  });

  it("makes the share-link key the operator signs with, mounted for it, and passes gallery.publicUrl", async () => {
    const list = objects(await helmTemplate({ namespace: "aria-system" }));
    const secret = find(list, "Secret", "aria-share-key") as unknown as V1Secret;
    // What randAlphaNum makes is a key the operator takes from the mounted file.
    const file = join(await mkdtemp(join(tmpdir(), "aria-chart-")), "share.key");
    await writeFile(file, Buffer.from(secret.data!["share.key"]!, "base64"));
    expect(await loadShareKey(file, createLogger("chart-test", "error"))).toHaveLength(64);
    const pod = (find(list, "Deployment", "aria-operator") as unknown as V1Deployment).spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.args).toContain("--share-key-file=/etc/aria/share/share.key");
    expect(c.args!.some((a) => a.startsWith("--public-url"))).toBe(false);
    expect(c.volumeMounts).toContainEqual({
      name: "share-key",
      mountPath: "/etc/aria/share",
      readOnly: true,
    });
    expect(pod.volumes).toContainEqual({
      name: "share-key",
      secret: { secretName: "aria-share-key", defaultMode: 0o440 },
    });
    const url = objects(await helmTemplate({ set: { "gallery.publicUrl": "https://art.example.org/aria" } }));
    const args = (find(url, "Deployment", "aria-operator") as unknown as V1Deployment).spec!.template.spec!
      .containers[0]!.args;
    expect(args).toContain("--public-url=https://art.example.org/aria");
  });

  it.each([
    ["VAPID key, so browsers' subscriptions go on working", "operator-vapid-secret.yaml", "vapid.key"],
    [
      "share-link key, so links people were sent go on working",
      "operator-share-key-secret.yaml",
      "share.key",
    ],
  ])("keeps an installed release's %s, on upgrade", async (_what, template, key) => {
    const only = [`templates/${template}`];
    const release = key.split(".")[0]!;
    const keyIn = (manifest: string) =>
      (objects(manifest).find((o) => o.kind === "Secret") as unknown as V1Secret).data![key];
    const installed = await helmTemplate({ namespace, release, showOnly: only });
    const applied = await kubectl(["apply", "-n", namespace, "-f", "-"], installed);
    expect(applied.code, applied.stderr).toBe(0);
    // An upgrade renders against the cluster, as helm upgrade does (lookup sees the Secret).
    const upgrade = await helm([
      "template",
      release,
      CHART_DIR,
      "--namespace",
      namespace,
      "--dry-run=server",
      "--kubeconfig",
      controlPlane().kubeconfig,
      ...only.flatMap((t) => ["--show-only", t]),
    ]);
    expect(upgrade.code, upgrade.stderr).toBe(0);
    expect(keyIn(upgrade.stdout)).toBe(keyIn(installed));
    // Without the Secret to find, every render makes a new key.
    expect(keyIn(await helmTemplate({ namespace, release, showOnly: only }))).not.toBe(keyIn(installed));
  });

  it("refuses bad values naming the value and what it allows", async () => {
    const bad = await helmTemplateResult({ set: { "defaultModelPool.accelerator": "gpu" } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("at '/defaultModelPool/accelerator': value must be one of 'cpu', 'cuda'");
    const size = await helmTemplateResult({ set: { "storage.pvc.size": "lots" } });
    expect(size.stderr).toContain("/storage/pvc/size");
    const subject = await helmTemplateResult({ set: { "gallery.push.subject": "aria@example.org" } });
    expect(subject.code).not.toBe(0);
    expect(subject.stderr).toContain("/gallery/push/subject");
    for (const publicUrl of ["aria.example.org", "https://aria.example.org/?q=1", "ftp://aria.example.org"]) {
      const url = await helmTemplateResult({ set: { "gallery.publicUrl": publicUrl } });
      expect(url.code, publicUrl).not.toBe(0);
      expect(url.stderr).toContain("/gallery/publicUrl");
    }
  });
});
