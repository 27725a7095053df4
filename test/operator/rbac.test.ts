// The RBAC the chart installs: the operator gets what it needs, a worker only its status writes.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { createNamespace, kubectl } from "../support/cluster.ts";

let ns: string;
let other: string;

beforeAll(async () => {
  ns = await createNamespace("rbac");
  other = await createNamespace("rbac-other");
  for (const file of ["rbac-operator.yaml", "rbac-worker.yaml"]) {
    const manifest = readFileSync(`charts/aria/templates/${file}`, "utf8").replaceAll(
      "{{ .Release.Namespace }}",
      ns,
    );
    const applied = await kubectl(["apply", "-f", "-"], manifest);
    expect(applied.stderr).toBe("");
  }
  const sa = await kubectl(["create", "serviceaccount", "aria-worker", "-n", ns]);
  expect(sa.code).toBe(0);
  const binding = await kubectl([
    "create",
    "rolebinding",
    "aria-worker",
    "-n",
    ns,
    "--clusterrole=aria-worker",
    `--serviceaccount=${ns}:aria-worker`,
  ]);
  expect(binding.code).toBe(0);
});

async function can(who: string, verb: string, resource: string, namespace = ns) {
  const [type, subresource] = resource.split("/");
  const r = await kubectl([
    "auth",
    "can-i",
    verb,
    type!,
    ...(subresource ? [`--subresource=${subresource}`] : []),
    "-n",
    namespace,
    `--as=system:serviceaccount:${ns}:${who}`,
  ]);
  return r.stdout.trim() === "yes";
}

describe("RBAC", () => {
  it("lets a worker read pools and Artworks and write only Artwork status, its Lease and Events", async () => {
    expect(await can("aria-worker", "get", "modelpools.aria.dev")).toBe(true);
    expect(await can("aria-worker", "watch", "artworks.aria.dev")).toBe(true);
    expect(await can("aria-worker", "patch", "artworks.aria.dev/status")).toBe(true);
    expect(await can("aria-worker", "create", "leases.coordination.k8s.io")).toBe(true);
    expect(await can("aria-worker", "create", "events")).toBe(true);
    expect(await can("aria-worker", "patch", "artworks.aria.dev")).toBe(false);
    expect(await can("aria-worker", "delete", "artworks.aria.dev")).toBe(false);
    expect(await can("aria-worker", "patch", "modelpools.aria.dev")).toBe(false);
    expect(await can("aria-worker", "patch", "learningstates.aria.dev/status")).toBe(false);
    expect(await can("aria-worker", "get", "secrets")).toBe(false);
    expect(await can("aria-worker", "patch", "artworks.aria.dev/status", other)).toBe(false);
  });

  it("gives the operator what it reconciles and no more", async () => {
    for (const [verb, resource] of [
      ["patch", "artworks.aria.dev"],
      ["patch", "artworks.aria.dev/status"],
      ["watch", "modelpools.aria.dev"],
      ["create", "deployments.apps"],
      ["create", "poddisruptionbudgets.policy"],
      ["update", "leases.coordination.k8s.io"],
      ["create", "tokenreviews.authentication.k8s.io"],
      ["create", "subjectaccessreviews.authorization.k8s.io"],
    ]) {
      expect(await can("aria-operator", verb!, resource!), `${verb} ${resource}`).toBe(true);
    }
    expect(await can("aria-operator", "delete", "artworks.aria.dev")).toBe(false);
    expect(await can("aria-operator", "get", "secrets")).toBe(false);
    expect(await can("aria-operator", "create", "pods")).toBe(false);
  });
});
