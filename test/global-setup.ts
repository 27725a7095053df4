// One real control plane (etcd + kube-apiserver) for the whole integration run.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startControlPlane, stopControlPlane, type ControlPlaneState } from "./controlplane/control-plane.ts";

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ControlPlaneState;
  }
}

let state: ControlPlaneState | undefined;

export async function setup(project: TestProject) {
  state = await startControlPlane({ dataDir: await mkdtemp(join(tmpdir(), "aria-test-")) });
  project.provide("controlPlane", state);
}

export async function teardown() {
  if (state) await stopControlPlane(state);
}
