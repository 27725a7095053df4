import { describe, expect, it } from "vitest";
import type { Condition } from "../../crds/condition.ts";
import type { ModelPoolStatus } from "../../crds/model-pool.ts";
import { rfc3339 } from "../../crds/timestamp.ts";
import { POOL_LABEL } from "../../crds/worker-protocol.ts";
import {
  ago,
  artwork,
  boundArtwork,
  metaTime,
  modelPool,
  modelStates,
  NOW,
  POOL,
  POOL_MODELS,
  workerView,
} from "../../test/fixtures/operator-objects.ts";
import { isQueued, poolStatus } from "./model-pool-controller.ts";

/** type → [status, reason, message], as `kubectl describe modelpool` lists them. */
function conditions(status: ModelPoolStatus) {
  return Object.fromEntries((status.conditions ?? []).map((c) => [c.type, [c.status, c.reason, c.message]]));
}
const modelStatesOf = (status: ModelPoolStatus) =>
  Object.fromEntries((status.models ?? []).map((m) => [m.name, m.state]));

const warming = (id: string) =>
  workerView(id, { ready: false, reason: "Loading", message: "warming up", models: modelStates("Warming") });

describe("poolStatus: conditions", () => {
  it("reports a pool without workers as not ready, scaling up, with every model pending", () => {
    const status = poolStatus(modelPool(), [], [], NOW);
    expect(conditions(status)).toEqual({
      Ready: ["False", "NoWorkers", "0/2 workers warm"],
      Progressing: ["True", "ScalingUp", "0/2 workers warm"],
      Degraded: ["False", "AsExpected", "all models load"],
      Reconciling: ["True", "WorkersWarming", "0/2 workers warm"],
    });
    expect(status).toMatchObject({ replicas: 0, readyReplicas: 0, queueDepth: 0, inFlight: 0 });
    expect(modelStatesOf(status)).toEqual({
      painter: "Pending",
      sketcher: "Pending",
      clip: "Pending",
      aesthetic: "Pending",
    });
  });

  it("counts registered workers as replicas and warm ones as ready while the pool warms up", () => {
    const status = poolStatus(modelPool(), [workerView("w1"), warming("w2")], [], NOW);
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    expect(conditions(status)).toMatchObject({
      Ready: ["False", "WorkersWarming", "1/2 workers warm"],
      Progressing: ["True", "ScalingUp", "1/2 workers warm"],
      Reconciling: ["True", "WorkersWarming", "1/2 workers warm"],
    });
  });

  it("is Ready and stable once spec.replicas workers are warm", () => {
    const status = poolStatus(modelPool(), [workerView("w1"), workerView("w2")], [], NOW);
    expect(conditions(status)).toEqual({
      Ready: ["True", "WorkersReady", "2/2 workers warm"],
      Progressing: ["False", "Stable", "2/2 workers warm"],
      Degraded: ["False", "AsExpected", "all models load"],
      Reconciling: ["False", "Stable", "2/2 workers warm"],
    });
    expect(modelStatesOf(status)).toEqual({
      painter: "Ready",
      sketcher: "Ready",
      clip: "Ready",
      aesthetic: "Ready",
    });
    expect(status.models?.find((m) => m.name === "painter")).toEqual({
      name: "painter",
      role: "generator",
      state: "Ready",
      readyWorkers: 2,
    });
  });

  it("ignores workers whose Lease has expired", () => {
    const status = poolStatus(modelPool({ replicas: 1 }), [workerView("gone", {}, NOW)], [], NOW);
    expect(status).toMatchObject({ replicas: 0, readyReplicas: 0 });
    expect(conditions(status).Ready).toEqual(["False", "NoWorkers", "0/1 workers warm"]);
    expect(modelStatesOf(status).painter).toBe("Pending");
  });

  it("counts a draining worker as a replica but not as ready", () => {
    const status = poolStatus(modelPool({ replicas: 1 }), [workerView("w1", { draining: true })], [], NOW);
    expect(status).toMatchObject({ replicas: 1, readyReplicas: 0 });
    expect(conditions(status).Ready).toEqual(["False", "WorkersWarming", "0/1 workers warm"]);
  });

  /** w1, whose painter failed its sha256 check while its other models loaded. */
  const brokenWorker = () =>
    workerView("w1", {
      ready: false,
      reason: "ModelLoadFailed",
      message: "painter: sha256 mismatch",
      models: [
        ...modelStates("Failed", ["painter"], "sha256 mismatch"),
        ...modelStates("Ready", ["sketcher", "clip", "aesthetic"]),
      ],
    });

  it("is Degraded with the load error when a model fails on every worker", () => {
    const status = poolStatus(modelPool({ replicas: 1 }), [brokenWorker()], [], NOW);
    expect(conditions(status).Degraded).toEqual([
      "True",
      "ModelLoadFailed",
      "model painter: sha256 mismatch; worker w1: painter: sha256 mismatch",
    ]);
    expect(status.models?.find((m) => m.name === "painter")).toEqual({
      name: "painter",
      role: "generator",
      state: "Failed",
      readyWorkers: 0,
      message: "sha256 mismatch",
    });
  });

  it("is Degraded, with reason ModelLoadFailed, when a model fails on one worker but is warm on another", () => {
    const status = poolStatus(modelPool({ replicas: 2 }), [brokenWorker(), workerView("w2")], [], NOW);
    expect(conditions(status).Degraded).toEqual([
      "True",
      "ModelLoadFailed",
      "worker w1: painter: sha256 mismatch",
    ]);
  });

  it("is not Degraded by a failure report from a worker that is gone", () => {
    const gone = workerView(
      "w0",
      { ready: false, reason: "ModelLoadFailed", models: modelStates("Failed") },
      NOW - 1,
    );
    const status = poolStatus(modelPool({ replicas: 1 }), [gone, workerView("w1")], [], NOW);
    expect(conditions(status).Degraded).toEqual(["False", "AsExpected", "all models load"]);
  });

  it("is Degraded, with reason WorkerObjectsRejected, when the API server refuses a worker object", () => {
    const message = 'Deployment.apps "aria-worker-studio" is invalid: spec.template.spec.nodeSelector: ...';
    const status = poolStatus(modelPool({ replicas: 1 }), [brokenWorker()], [], NOW, {
      reason: "WorkerObjectsRejected",
      message,
    });
    expect(conditions(status).Degraded).toEqual(["True", "WorkerObjectsRejected", message]);
  });

  it("stamps conditions and status with the pool's generation", () => {
    const pool = modelPool();
    pool.metadata.generation = 7;
    const status = poolStatus(pool, [], [], NOW);
    expect(status.observedGeneration).toBe(7);
    expect(status.conditions?.map((c) => c.observedGeneration)).toEqual([7, 7, 7, 7]);
  });

  it("keeps lastTransitionTime when a condition's status does not change, and moves it when it does", () => {
    const earlier = ago(3_600_000);
    const previous: Condition[] = [
      {
        type: "Ready",
        status: "False",
        reason: "WorkersWarming",
        message: "1/2 workers warm",
        lastTransitionTime: earlier,
      },
      {
        type: "Degraded",
        status: "False",
        reason: "AsExpected",
        message: "all models load",
        lastTransitionTime: earlier,
      },
    ];
    const pool = modelPool({}, { conditions: previous });
    const status = poolStatus(pool, [workerView("w1"), workerView("w2")], [], NOW);
    const since = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
    const now = rfc3339(new Date(NOW));
    expect(since).toEqual({ Ready: now, Degraded: earlier, Progressing: now, Reconciling: now });
  });
});

describe("poolStatus: per-model state", () => {
  const stateWith = (...reports: Parameters<typeof modelStates>[0][]) =>
    modelStatesOf(
      poolStatus(
        modelPool(),
        reports.map((state, i) =>
          workerView(`w${i}`, { ready: false, models: modelStates(state, ["painter"]) }),
        ),
        [],
        NOW,
      ),
    ).painter;

  it("is Ready when one worker has it warm, whatever the others say", () => {
    expect(stateWith("Failed", "Ready", "Loading")).toBe("Ready");
  });
  it("is Failed when it failed somewhere and is warm nowhere", () => {
    expect(stateWith("Warming", "Failed")).toBe("Failed");
  });
  it("is Warming while a worker warms it up", () => {
    expect(stateWith("Loading", "Warming")).toBe("Warming");
  });
  it("is Loading while workers only load it", () => {
    expect(stateWith("Loading")).toBe("Loading");
  });
  it("is Pending for a model no worker reports", () => {
    expect(modelStatesOf(poolStatus(modelPool(), [workerView("w1", { models: [] })], [], NOW)).painter).toBe(
      "Pending",
    );
  });
});

describe("poolStatus: queue", () => {
  it("counts queued and running Artworks, not finished or deleted ones", () => {
    const deleted = artwork("deleted", { metadata: { deletionTimestamp: metaTime(ago(1_000)) } });
    const artworks = [
      artwork("new"),
      artwork("waiting", { status: { phase: "Pending" } }),
      boundArtwork("scheduled", "w1", { status: { phase: "Scheduled" } }),
      boundArtwork("generating", "w1"),
      boundArtwork("curating", "w1", { status: { phase: "Curating" } }),
      artwork("done", { status: { phase: "Succeeded" } }),
      artwork("failed", { status: { phase: "Failed" } }),
      deleted,
    ];
    expect(poolStatus(modelPool(), [workerView("w1")], artworks, NOW)).toMatchObject({
      queueDepth: 2,
      inFlight: 3,
    });
  });

  it("shows the scale selector and model names for kubectl", () => {
    const status = poolStatus(modelPool(), [], [], NOW);
    expect(status.modelNames).toBe(POOL_MODELS.map((m) => m.name).join(","));
    expect(status.selector).toBe(`${POOL_LABEL}=${POOL}`);
  });
});

describe("isQueued", () => {
  it("holds for an Artwork not yet bound, and for one waiting for its next attempt", () => {
    expect(isQueued(artwork("new"))).toBe(true);
    expect(isQueued(artwork("retry", { status: { phase: "Pending", attempt: 1 } }))).toBe(true);
  });
  it("does not hold for a running, finished or deleted Artwork", () => {
    expect(isQueued(boundArtwork("running", "w1"))).toBe(false);
    expect(isQueued(artwork("done", { status: { phase: "Succeeded" } }))).toBe(false);
    expect(isQueued(artwork("failed", { status: { phase: "Failed" } }))).toBe(false);
    expect(isQueued(artwork("deleted", { metadata: { deletionTimestamp: metaTime(ago(0)) } }))).toBe(false);
  });
});
