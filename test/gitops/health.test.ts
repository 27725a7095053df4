// Argo CD's view of Aria's objects: each health.lua run by a real Lua interpreter on the status a
// live operator and worker wrote, at the moments a person watching an Argo CD app would see; and
// kubectl wait on the Ready condition, as kstatus-aware tools read it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LEARNING_STATE, MODEL_POOL } from "../../crds/api.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { LearningState } from "../../crds/learning-state.ts";
import type { ModelPool } from "../../crds/model-pool.ts";
import {
  QUICK,
  aria,
  createArtwork,
  createLearningState,
  createPool,
  eventually,
  getArtwork,
} from "../support/artworks.ts";
import { createNamespace, kubectl } from "../support/cluster.ts";
import { startOperator, startWorker, stopAll, type OperatorProc } from "../support/processes.ts";
import { viaApi } from "../support/reactions.ts";
import { ensureKstatus, kstatus } from "../support/kstatus.ts";
import { waitForWorkerReady } from "../support/waits.ts";
import { luaLiteral } from "./lua-literal.ts";

const CHECKS = join(import.meta.dirname, "../../gitops/argocd/resource_customizations/aria.dev");
const HARNESS = join(import.meta.dirname, "run-health.lua");

interface Health {
  status: string;
  message: string;
}

function health(kind: "Artwork" | "ModelPool" | "LearningState", obj: object): Promise<Health> {
  return new Promise((resolve, reject) => {
    const child = execFile("lua5.4", [HARNESS, join(CHECKS, kind, "health.lua")], (err, stdout, stderr) => {
      if (err) return reject(new Error(`${kind}/health.lua: ${stderr || err.message}`));
      const [status = "", message = ""] = stdout.split("\n");
      resolve({ status, message });
    });
    child.stdin?.end(luaLiteral(obj));
  });
}

const hasConditions = (o: { status?: { conditions?: unknown[] } }) => (o.status?.conditions?.length ?? 0) > 0;
const getPool = (name: string) => aria().get<ModelPool>(MODEL_POOL, ns, name);
const stalled = (name: string) =>
  eventually(
    () => getArtwork(ns, name),
    (a) => a.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false,
    20_000,
  );
const getLearning = (name: string) => aria().get<LearningState>(LEARNING_STATE, ns, name);

let ns: string;
let operator: OperatorProc;
let kstatusExe: string;
/** Artworks as the operator wrote them, at each moment, for kstatus to read too. */
const observed: { inProgress: Artwork[]; ready?: Artwork; failed?: Artwork } = { inProgress: [] };

beforeAll(async () => {
  ns = await createNamespace("gitops");
  operator = startOperator(ns);
  kstatusExe = await ensureKstatus();
  await createPool(ns, "studio", { replicas: 1 });
  await createLearningState(ns, "studio");
}, 300_000);
afterAll(stopAll);

describe("Argo CD health of Aria's objects", () => {
  it("shows a pool with no warm worker, and an Artwork queued on it, as Progressing", async () => {
    const pool = await eventually(() => getPool("studio"), hasConditions, 20_000);
    expect(await health("ModelPool", pool)).toEqual({ status: "Progressing", message: "0/1 workers warm" });
    await createArtwork(ns, "sunrise", { ...QUICK, variations: 2, steps: 4, poolRef: { name: "studio" } });
    const queued = await eventually(() => getArtwork(ns, "sunrise"), hasConditions, 20_000);
    observed.inProgress.push(queued);
    expect((await health("Artwork", queued)).status).toBe("Progressing");
  });

  it("shows the pool Healthy once its worker is warm, and the Artwork Progressing until it is Ready", async () => {
    await waitForWorkerReady(startWorker(ns, "studio", "w1"));
    const pool = await eventually(
      () => getPool("studio"),
      (p) => p.status?.readyReplicas === 1,
      20_000,
    );
    expect(await health("ModelPool", pool)).toEqual({ status: "Healthy", message: "1/1 workers warm" });

    const seen: Artwork[] = [];
    const done = await eventually(
      () => getArtwork(ns, "sunrise"),
      (a) => {
        seen.push(a);
        return a.status?.phase === "Succeeded";
      },
      60_000,
      50,
    );
    observed.inProgress.push(...seen.slice(0, -1));
    observed.ready = done;
    for (const art of seen.slice(0, -1)) {
      const h = await health("Artwork", art);
      expect(h.status, `phase ${art.status?.phase}`).toBe("Progressing");
    }
    const rendering = seen.find((a) => a.status?.progress !== undefined && a.status.phase !== "Succeeded");
    if (rendering) expect((await health("Artwork", rendering)).message).toMatch(/^\w+ \d+%: /);
    expect((await health("Artwork", done)).status).toBe("Healthy");
  });

  it("shows an Artwork whose spec the operator has not observed yet as Progressing", async () => {
    const art = await getArtwork(ns, "sunrise");
    const edited = { ...art, metadata: { ...art.metadata, generation: (art.metadata!.generation ?? 1) + 1 } };
    expect(await health("Artwork", edited)).toEqual({
      status: "Progressing",
      message: `Waiting for the operator to observe generation ${edited.metadata.generation}`,
    });
  });

  it("shows an Artwork the operator cannot render as Degraded, with the operator's reason", async () => {
    await createArtwork(ns, "wrong-model", { ...QUICK, poolRef: { name: "studio" }, model: "sketcher" });
    await createArtwork(ns, "orphan", { ...QUICK, poolRef: { name: "nowhere" } });
    const wrong = await stalled("wrong-model");
    observed.failed = wrong;
    expect(await health("Artwork", wrong)).toEqual({
      status: "Degraded",
      message: 'spec.model: "sketcher" is not a generator of ModelPool "studio"; it has: aria-painter',
    });
    const orphan = await stalled("orphan");
    expect(await health("Artwork", orphan)).toEqual({
      status: "Degraded",
      message: `spec.poolRef.name: ModelPool "nowhere" does not exist in namespace "${ns}"`,
    });
  });

  it("shows a LearningState Healthy with the reactions it has folded", async () => {
    const fresh = await eventually(() => getLearning("studio"), hasConditions, 20_000);
    expect(await health("LearningState", fresh)).toEqual({
      status: "Healthy",
      message: "0 reactions folded",
    });
    await viaApi(() => operator.securePort(), ns, "sunrise", "love", "gitops-love");
    const folded = await eventually(
      () => getLearning("studio"),
      (ls) => (ls.status?.events?.love ?? 0) === 1,
      30_000,
    );
    expect(await health("LearningState", folded)).toEqual({
      status: "Healthy",
      message: "1 reactions folded",
    });
  });

  it("reads the same Artworks through kstatus: InProgress, then Current, and Failed when stalled", async () => {
    for (const art of observed.inProgress) {
      expect((await kstatus(kstatusExe, art)).status, `phase ${art.status?.phase}`).toBe("InProgress");
    }
    expect((await kstatus(kstatusExe, observed.ready!)).status).toBe("Current");
    expect(await kstatus(kstatusExe, observed.failed!)).toEqual({
      status: "Failed",
      message: 'spec.model: "sketcher" is not a generator of ModelPool "studio"; it has: aria-painter',
    });
  });

  it("lets kubectl wait for a rendered Artwork's Ready condition", async () => {
    const wait = await kubectl([
      "-n",
      ns,
      "wait",
      "--for=condition=Ready",
      "artwork/sunrise",
      "--timeout=20s",
    ]);
    expect(wait.stderr).toBe("");
    expect(wait.stdout.trim()).toBe("artwork.aria.dev/sunrise condition met");
  });
});
