import { readdir } from "node:fs/promises";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DirectoryStore } from "../../lib/storage/directory-store.ts";
import { StorageError } from "../../lib/storage/storage-error.ts";
import { TmpfsVolume } from "../../test/fixtures/tmpfs-volume.ts";
import { workerMetrics } from "../metrics.ts";
import type { Artwork } from "../../crds/artwork.ts";
import type { ModelDefaults } from "../../crds/effective-spec.ts";
import type { RenderResult } from "../pipeline/render-request.ts";
import { RenderError } from "../pipeline/render-error.ts";
import { WorkerUnfit } from "../worker-health.ts";
import { failureOf } from "./artwork-runner.ts";
import { fencedPatch } from "./fenced-status-writer.ts";
import { progressStatus } from "./progress-reporter.ts";
import { renderRequestFor } from "./render-request-for.ts";
import { ResultPublisher, resultStatus } from "./result-publisher.ts";

const model: ModelDefaults = { width: 256, height: 256, steps: 20, guidanceScale: 5, scheduler: "euler" };

function artwork(spec: Partial<Artwork["spec"]> = {}, status: Artwork["status"] = {}): Artwork {
  return {
    metadata: { name: "sunrise", namespace: "gallery", generation: 1 },
    spec: { prompt: "a red sunrise over the sea", poolRef: { name: "studio" }, ...spec },
    status: { phase: "Scheduled", worker: "w1", attempt: 2, model: "aria-painter", seed: 7, ...status },
  };
}

describe("renderRequestFor", () => {
  it("renders what the user asked, then what learning chose, then the model's defaults", () => {
    const req = renderRequestFor(artwork({ width: 128, steps: 12 }, { guidanceScale: 3.5 }), model);
    expect(req).toMatchObject({
      prompt: "a red sunrise over the sea",
      model: "aria-painter",
      seed: 7,
      steps: 12,
      guidanceScale: 3.5,
      scheduler: "euler",
      width: 128,
      height: 256,
      variations: 4,
      output: { formats: ["png"], upscale: 1 },
      curation: { weights: { clip: 0.5, aesthetic: 0.3, technical: 0.2 } },
    });
  });

  it("keeps the seed and model the scheduler recorded over the spec's", () => {
    const req = renderRequestFor(artwork({ seed: 1, model: "aria-painter" }, { seed: 99 }), model);
    expect(req.seed).toBe(99);
  });

  it("reads a long prompt as the Artwork asks, truncating unless it says Chunk", () => {
    expect(renderRequestFor(artwork(), model).longPrompt).toBe("Truncate");
    expect(renderRequestFor(artwork({ longPrompt: "Chunk" }), model).longPrompt).toBe("Chunk");
  });

  it("carries the pool's batching to the render", () => {
    expect(renderRequestFor(artwork(), model).batching).toBeUndefined();
    const batching = { maxBatchSize: 4, memoryBudgetBytes: 6 * 2 ** 30 };
    expect(renderRequestFor(artwork(), model, batching).batching).toEqual(batching);
  });
});

describe("fencedPatch", () => {
  it("tests the worker and attempt before writing, and writes absent fields as null", () => {
    expect(fencedPatch("w1", 2, { phase: "Generating", progress: undefined })).toEqual([
      { op: "test", path: "/status/worker", value: "w1" },
      { op: "test", path: "/status/attempt", value: 2 },
      { op: "add", path: "/status/phase", value: "Generating" },
      { op: "add", path: "/status/progress", value: null },
    ]);
  });
});

describe("progressStatus", () => {
  it("counts generation as 90 % across candidates and curation as 95 %", () => {
    const art = artwork();
    const half = progressStatus(
      { variation: 1, variations: 2, step: 5, totalSteps: 10, phase: "generating" },
      art,
    );
    expect(half.progress?.percent).toBe(67);
    expect(half.phase).toBeUndefined();
    const curating = progressStatus(
      { variation: 1, variations: 2, step: 10, totalSteps: 10, phase: "curating" },
      art,
    );
    expect(curating).toMatchObject({ phase: "Curating", progress: { percent: 95 } });
  });
});

describe("resultStatus", () => {
  const scores = (ensemble: number) => ({ clip: 0.5, aesthetic: 5, technical: 0.5, ensemble, confidence: 1 });
  const result = (selected?: number, droppedTokens = 0): RenderResult => ({
    candidates: [
      { index: 0, seed: 7, png: Buffer.from("a"), sha256: "a".repeat(64), scores: scores(0.41) },
      { index: 1, seed: 8, png: Buffer.from("b"), sha256: "b".repeat(64), scores: scores(0.62) },
    ],
    ...(selected === undefined
      ? { rejectedReason: "best candidate 1 scored 0.620, below 0.9" }
      : { selected }),
    outputs:
      selected === undefined ? [] : [{ format: "webp", data: Buffer.from("w"), width: 256, height: 256 }],
    promptTruncated: droppedTokens > 0,
    promptDroppedTokens: droppedTokens,
    timings: { generateSeconds: 1.23456, curateSeconds: 0.1, encodeSeconds: 0.01 },
    onnx: { runs: 0, runSeconds: 0, perSession: {} },
    provider: "cpu",
  });
  const stored = (n: number) => ({ uri: `file:///images/${n}`, sha256: String(n).repeat(64), bytes: n });
  const req = renderRequestFor(artwork(), model);
  const now = new Date("2026-11-30T10:00:00.123Z");

  it("reports the kept candidate, every candidate's scores and the stored outputs", () => {
    const status = resultStatus(
      artwork(),
      req,
      result(1),
      { candidates: [stored(1), stored(2)], outputs: [stored(3)] },
      now,
    );
    expect(status.phase).toBe("Succeeded");
    expect(status.message).toBe("kept candidate 1 of 2 (score 0.620)");
    expect(status.selected).toEqual({
      index: 1,
      score: 0.62,
      images: [
        {
          format: "webp",
          uri: "file:///images/3",
          sha256: "3".repeat(64),
          width: 256,
          height: 256,
          bytes: 3,
        },
      ],
    });
    expect(status.candidates?.map((c) => c.uri)).toEqual(["file:///images/1", "file:///images/2"]);
    expect(status.progress?.percent).toBe(100);
    expect(status.completionTime).toBe("2026-11-30T10:00:00Z");
    expect(status.timings?.generateSeconds).toBe(1.235);
    expect(status.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      reason: "Succeeded",
    });
  });

  it("says by how many tokens a prompt too long for the model was cut", () => {
    const status = resultStatus(
      artwork(),
      req,
      result(1, 25),
      { candidates: [stored(1), stored(2)], outputs: [stored(3)] },
      now,
    );
    expect(status.promptTruncated).toBe(true);
    expect(status.message).toBe(
      "kept candidate 1 of 2 (score 0.620) (the prompt was longer than the model's token window: its last 25 tokens were dropped)",
    );
  });

  it("fails with BelowMinimumScore when no candidate reached spec.curation.minScore", () => {
    const status = resultStatus(
      artwork(),
      req,
      result(),
      { candidates: [stored(1), stored(2)], outputs: [] },
      now,
    );
    expect(status.phase).toBe("Failed");
    expect(status.selected).toBeUndefined();
    expect(status.conditions?.find((c) => c.type === "Stalled")).toMatchObject({
      status: "True",
      reason: "BelowMinimumScore",
      message: "best candidate 1 scored 0.620, below 0.9",
    });
  });
});

describe.skipIf(!(await TmpfsVolume.available()))("ResultPublisher on a disk that fills up", () => {
  it("removes the files it stored before running out, keeps files others share, leaves no temp file", async () => {
    const volume = await TmpfsVolume.mount(1024);
    try {
      const store = new DirectoryStore(volume.dir, { minFreeBytes: 1 });
      const png = (fill: number) => Buffer.alloc(400 * 1024, fill);
      // Another Artwork already stored the first candidate's bytes (same seed, same prompt).
      const shared = await store.put(png(0), "png");
      const scores = { clip: 0.5, aesthetic: 5, technical: 0.5, ensemble: 0.5, confidence: 1 };
      const result: RenderResult = {
        candidates: [0, 1, 2].map((i) => ({ index: i, seed: i, png: png(i), sha256: "", scores })),
        selected: 0,
        outputs: [],
        promptTruncated: false,
        promptDroppedTokens: 0,
        timings: { generateSeconds: 1, curateSeconds: 0.1, encodeSeconds: 0.01 },
        onnx: { runs: 0, runSeconds: 0, perSession: {} },
        provider: "cpu",
      };
      const publisher = new ResultPublisher(store, workerMetrics(new Registry()));
      const error = await publisher
        .publish(artwork(), renderRequestFor(artwork(), model), result)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).problem).toBe("full");
      const files = (await readdir(volume.dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => e.name);
      expect(files).toEqual([`${shared.sha256}.png`]);
    } finally {
      await volume.unmount();
    }
  });
});

describe("failureOf", () => {
  it("blames the worker for its storage, a dead thread or a problem it had, and the Artwork for the rest", () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    expect(failureOf(StorageError.from(enospc, "could not store x.png"))).toEqual({
      reason: "StorageFull",
      workerAtFault: true,
    });
    const erofs = Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
    expect(failureOf(StorageError.from(erofs, "could not store x.png")).reason).toBe("StorageUnwritable");
    expect(failureOf(new RenderError("InferenceUnavailable", "inference thread exited with code 1"))).toEqual(
      {
        reason: "InferenceUnavailable",
        workerAtFault: true,
      },
    );
    expect(failureOf(new WorkerUnfit("StorageUnwritable", "worker w1 cannot take work"))).toEqual({
      reason: "StorageUnwritable",
      workerAtFault: true,
    });
    expect(failureOf(new RenderError("UnsupportedSize", "spec.width: 130 is not a multiple of 8"))).toEqual({
      reason: "UnsupportedSize",
      workerAtFault: false,
    });
    expect(failureOf(new Error("boom"))).toEqual({ reason: "InferenceFailed", workerAtFault: false });
  });
});
