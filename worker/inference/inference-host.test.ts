import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { renderArtwork } from "../pipeline/render-artwork.ts";
import { RenderError } from "../pipeline/render-error.ts";
import type { RenderProgress } from "../pipeline/render-request.ts";
import { builtinSpecs, loadTestContext, testRequest } from "../../test/fixtures/builtin-pipeline.ts";
import { InferenceHost } from "./inference-host.ts";

let host: InferenceHost;
const dirs: string[] = [];

beforeAll(async () => {
  host = await InferenceHost.start({ models: await builtinSpecs(), accelerator: "cpu", warmupSteps: 1 });
}, 60_000);
afterAll(async () => {
  await host?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("InferenceHost", () => {
  it("loads and warms every model before start resolves", () => {
    expect(host.modelStates().map((s) => `${s.name}:${s.state}`)).toEqual([
      "aria-painter:Ready",
      "aria-painter-float-timestep:Ready",
      "aria-clip:Ready",
      "aria-aesthetic:Ready",
    ]);
    expect(host.provider).toBe("cpu");
  });

  it("renders in a thread the same bytes as in process, with Buffers and progress", async () => {
    const progress: RenderProgress[] = [];
    const request = testRequest({ previewEvery: 2 });
    const result = await host.render(request, (p) => progress.push(p));
    const local = await renderArtwork(await loadTestContext(), request, () => {});
    expect(result.candidates.map((c) => c.sha256)).toEqual(local.candidates.map((c) => c.sha256));
    expect(Buffer.isBuffer(result.outputs[0]!.data)).toBe(true);
    expect(Buffer.isBuffer(result.candidates[0]!.png)).toBe(true);
    expect(Buffer.isBuffer(progress.find((p) => p.preview)!.preview)).toBe(true);
    expect(progress.filter((p) => p.phase === "generating")).toHaveLength(request.steps * request.variations);
    expect(result.onnx.runs).toBeGreaterThan(0);
    expect(result.provider).toBe("cpu");
  });

  it("keeps the main event loop responsive while rendering", async () => {
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 5);
    // 512² with previews: rendered on the main thread instead, this gives ~20 stalls over 25 ms, up to ~200 ms.
    await host.render(
      testRequest({ width: 512, height: 512, steps: 20, variations: 4, previewEvery: 5 }),
      () => {},
    );
    clearInterval(timer);
    const maxGap = Math.max(...gaps);
    console.log(`event loop during render: ${gaps.length} ticks, max gap ${maxGap.toFixed(1)} ms`);
    // The OS may still preempt the main thread once or twice when other test files load the cores.
    expect(gaps.filter((g) => g > 25).length).toBeLessThanOrEqual(2);
    expect(maxGap).toBeLessThan(100);
  });

  it("brings errors back across the thread as RenderError with reason and field", async () => {
    const error = await rejection(host.render(testRequest({ width: 130 }), () => {}));
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).reason).toBe("UnsupportedSize");
    expect((error as RenderError).message).toMatch(/^spec\.width: 130 is not a positive multiple of 8/);
    const model = await rejection(host.render(testRequest({ model: "sd-turbo" }), () => {}));
    expect((model as RenderError).reason).toBe("ModelNotLoaded");
  });

  it("cancels a running render between steps and a queued one at once", async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const steps: number[] = [];
    const first = rejection(
      host.render(
        testRequest({ width: 256, height: 256, steps: 40, variations: 4 }),
        (p) => {
          steps.push(p.step);
          if (steps.length === 3) running.abort();
        },
        running.signal,
      ),
    );
    const second = rejection(host.render(testRequest(), () => {}, queued.signal));
    expect(host.queueDepth).toBe(1);
    queued.abort();
    expect(((await second) as RenderError).reason).toBe("Aborted");
    expect(((await first) as RenderError).reason).toBe("Aborted");
    // Progress already in flight when abort() ran still arrives (steps take about a millisecond, so
    // a few dozen can be on their way); most of the 160 steps never run.
    expect(steps.length).toBeLessThan(80);
    // The slot is free again afterwards.
    const after = await host.render(testRequest({ variations: 1 }), () => {});
    expect(after.candidates).toHaveLength(1);
  });

  it("runs up to `concurrency` renders at once and queues the rest", async () => {
    const pair = await InferenceHost.start({
      models: await builtinSpecs(),
      accelerator: "cpu",
      concurrency: 2,
    });
    try {
      const request = testRequest({ variations: 1 });
      const renders = [1, 2, 3].map(() => pair.render(request, () => {}));
      expect(pair.queueDepth).toBe(1);
      const results = await Promise.all(renders);
      expect(new Set(results.map((r) => r.candidates[0]!.sha256)).size).toBe(1);
      expect(pair.queueDepth).toBe(0);
    } finally {
      await pair.close();
    }
  });

  it("reports a corrupt model as Failed with a clear message instead of crashing", async () => {
    const broken = await mkdtemp(join(tmpdir(), "aria-broken-"));
    dirs.push(broken);
    await cp(await ensureBuiltinModel("aria-clip"), broken, { recursive: true });
    await writeFile(join(broken, "model.onnx"), Buffer.alloc(1024, 7));
    const degraded = await InferenceHost.start({
      models: [
        { name: "aria-painter", role: "generator", dir: await ensureBuiltinModel("aria-painter") },
        { name: "broken-clip", role: "clip", dir: broken },
        { name: "aria-aesthetic", role: "aesthetic", dir: await ensureBuiltinModel("aria-aesthetic") },
      ],
      accelerator: "cpu",
      warmupSteps: 1,
    });
    try {
      const clip = degraded.modelStates().find((s) => s.name === "broken-clip")!;
      expect(clip.state).toBe("Failed");
      expect(clip.message).toMatch(/^broken-clip could not be loaded from .*: .*model\.onnx failed/);
      expect(degraded.modelStates().find((s) => s.name === "aria-painter")!.state).toBe("Ready");
      const error = await rejection(degraded.render(testRequest(), () => {}));
      expect((error as RenderError).reason).toBe("ModelNotLoaded");
      expect((error as RenderError).message).toMatch(/^spec\.curation \(clip model\): broken-clip is Failed/);
    } finally {
      await degraded.close();
    }
  });

  it("restarts a dead thread after a backoff; meanwhile it is unavailable and renders fail as retryable", async () => {
    let changes = 0;
    const crashy = await InferenceHost.start({
      models: await builtinSpecs(),
      accelerator: "cpu",
      warmupSteps: 1,
      restartDelayMs: 300,
      onAvailabilityChange: () => changes++,
    });
    try {
      expect(crashy.unavailable()).toBeUndefined();
      // terminate() ends the thread as an uncaught error in it would. (Terminating a thread inside an
      // ONNX run aborts the whole process in onnxruntime-node's native code, so it is done idle.)
      const slots = (crashy as unknown as { slots: Array<{ worker: Worker }> }).slots;
      await slots[0]!.worker.terminate();
      expect(crashy.unavailable()).toMatch(/^inference thread 0 exited with code 1; restarting in 0\.3s/);
      // Nothing runs renders meanwhile: they fail at once rather than wait behind a dead thread.
      const meanwhile = (await rejection(crashy.render(testRequest(), () => {}))) as RenderError;
      expect(meanwhile.reason).toBe("InferenceUnavailable");

      const deadline = Date.now() + 60_000;
      while (crashy.unavailable() !== undefined && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(crashy.unavailable()).toBeUndefined();
      expect(changes).toBe(2);
      const after = await crashy.render(testRequest({ variations: 1 }), () => {});
      expect(after.candidates).toHaveLength(1);
    } finally {
      await crashy.close();
    }
  }, 120_000);
});
