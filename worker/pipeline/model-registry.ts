import { AestheticModel } from "../curation/aesthetic-model.ts";
import { ClipModel } from "../curation/clip-model.ts";
import type { SessionFactory } from "../onnx/session-factory.ts";
import { GeneratorModel, type RefinerStage } from "./generator-model.ts";
import type { PipelineLog } from "./pipeline-log.ts";
import { RenderError } from "./render-error.ts";
import type { ModelSpec, ModelState } from "./render-request.ts";
import type { RunMeter } from "../onnx/run-meter.ts";

type Loaded = GeneratorModel | ClipModel | AestheticModel;

/** Warm-up size for generators with symbolic spatial dims: small, but through every graph and both batch sizes. */
const WARMUP_SIZE = 64;

/**
 * The models of one inference thread: loaded once, warmed up once, each with its own state so a
 * broken model is reported (Failed, with the reason) instead of taking the worker down.
 */
export class ModelRegistry {
  private readonly entries = new Map<string, { spec: ModelSpec; state: ModelState; model?: Loaded }>();

  constructor(
    private readonly factory: SessionFactory,
    private readonly meter: RunMeter,
    private readonly log: PipelineLog = () => {},
  ) {}

  states(): ModelState[] {
    return [...this.entries.values()].map((e) => ({ ...e.state }));
  }

  /** Loads every model, then warms each up; resolves when all are Ready or Failed. */
  async loadAll(
    specs: readonly ModelSpec[],
    warmupSteps: number,
    onState: (s: ModelState) => void,
  ): Promise<void> {
    const set = (spec: ModelSpec, state: ModelState["state"], message?: string) => {
      const s: ModelState = { name: spec.name, role: spec.role, state, ...(message ? { message } : {}) };
      this.entries.get(spec.name)!.state = s;
      onState({ ...s });
    };
    for (const spec of specs)
      this.entries.set(spec.name, { spec, state: { name: spec.name, role: spec.role, state: "Loading" } });
    for (const spec of specs) {
      set(spec, "Loading");
      const start = performance.now();
      try {
        this.entries.get(spec.name)!.model = await this.open(spec);
        this.log("info", "model loaded", { model: spec.name, role: spec.role, seconds: elapsed(start) });
      } catch (error) {
        const message = `${spec.name} could not be loaded from ${spec.dir}: ${describe(error)}`;
        this.log("error", "model failed to load", { model: spec.name, role: spec.role, reason: message });
        set(spec, "Failed", message);
      }
    }
    for (const spec of specs) {
      const problem = this.refinerProblem(spec);
      if (problem === undefined) continue;
      this.log("error", "model failed to load", { model: spec.name, role: spec.role, reason: problem });
      set(spec, "Failed", problem);
      await this.entries.get(spec.name)!.model?.release();
      delete this.entries.get(spec.name)!.model;
    }
    for (const spec of specs) {
      const entry = this.entries.get(spec.name)!;
      if (!entry.model) continue;
      set(spec, "Warming");
      const start = performance.now();
      try {
        await this.warmUp(entry.model, warmupSteps);
        set(spec, "Ready");
        this.log("info", "model warmed up", { model: spec.name, role: spec.role, seconds: elapsed(start) });
      } catch (error) {
        const message = `${spec.name} failed its warm-up run: ${describe(error)}`;
        this.log("error", "model failed warm-up", { model: spec.name, role: spec.role, reason: message });
        set(spec, "Failed", message);
      }
    }
  }

  generator(name: string): GeneratorModel {
    return this.ready<GeneratorModel>(name, "generator", "spec.model");
  }

  /**
   * The refiner `generator` is finished with, its prompt encodings still to be made; undefined when
   * the pool gives it none.
   */
  refinerOf(generator: string): Omit<RefinerStage, "cond" | "uncond"> | undefined {
    const link = this.entries.get(generator)?.spec.refiner;
    if (!link) return undefined;
    const model = this.ready<GeneratorModel>(
      link.model,
      "refiner",
      `spec.models[${generator}].refiner.model`,
    );
    return { model, switchAt: link.switchAt };
  }

  clip(name: string | undefined): ClipModel {
    return this.ready<ClipModel>(name, "clip", "spec.curation (clip model)");
  }

  aesthetic(name: string | undefined): AestheticModel {
    return this.ready<AestheticModel>(name, "aesthetic", "spec.curation (aesthetic model)");
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.model?.release()));
    this.entries.clear();
  }

  private ready<T extends Loaded>(name: string | undefined, role: ModelSpec["role"], field: string): T {
    const ofRole = [...this.entries.values()].filter((e) => e.spec.role === role);
    const entry = name === undefined ? ofRole[0] : this.entries.get(name);
    if (!entry || entry.spec.role !== role) {
      const loaded = ofRole.map((e) => e.spec.name).join(", ") || "none";
      const what = name === undefined ? `no ${role} model` : JSON.stringify(name);
      throw new RenderError(
        "ModelNotLoaded",
        `${field}: ${what} is not loaded on this worker (${role} models: ${loaded})`,
      );
    }
    if (entry.state.state !== "Ready" || !entry.model) {
      throw new RenderError(
        "ModelNotLoaded",
        `${field}: ${entry.spec.name} is ${entry.state.state}${entry.state.message ? `: ${entry.state.message}` : ""}`,
      );
    }
    // open() builds the class that matches the role checked above.
    return entry.model as T;
  }

  private open(spec: ModelSpec): Promise<Loaded> {
    switch (spec.role) {
      case "generator":
        return GeneratorModel.load(spec.name, spec.dir, this.factory, this.meter);
      case "refiner":
        return GeneratorModel.load(spec.name, spec.dir, this.factory, this.meter, "refiner");
      case "clip":
        return ClipModel.load(spec.name, spec.dir, this.factory, this.meter);
      case "aesthetic":
        return AestheticModel.load(spec.name, spec.dir, this.factory, this.meter);
    }
  }

  /** Why a loaded generator cannot be finished by the refiner the pool names for it. */
  private refinerProblem(spec: ModelSpec): string | undefined {
    const base = this.entries.get(spec.name)?.model;
    if (!spec.refiner || !(base instanceof GeneratorModel)) return undefined;
    const entry = this.entries.get(spec.refiner.model);
    if (!entry || entry.spec.role !== "refiner")
      return `${spec.name}: its refiner ${spec.refiner.model} is not a model of role refiner in this pool`;
    // A refiner that failed to load already says why; the generator can still be refused then.
    if (!(entry.model instanceof GeneratorModel))
      return `${spec.name}: its refiner ${spec.refiner.model} did not load`;
    const mismatch = base.refinerMismatch(entry.model);
    return mismatch ? `${spec.name}: spec.models[].refiner: ${mismatch}` : undefined;
  }

  /** One tiny run through every graph, so the first Artwork does not pay for ONNX's lazy initialisation. */
  private async warmUp(model: Loaded, steps: number): Promise<void> {
    if (model instanceof GeneratorModel) {
      const empty = await model.encodePrompt("");
      await model.generate({
        cond: empty,
        uncond: empty,
        seeds: [0],
        steps,
        // Above 1, so the batch-2 guidance path is the one warmed.
        guidanceScale: 2,
        scheduler: model.defaults.scheduler,
        width: model.fixedSize.width ?? WARMUP_SIZE,
        height: model.fixedSize.height ?? WARMUP_SIZE,
        previewEvery: 0,
        onStep: () => {},
      });
    } else if (model instanceof ClipModel) {
      const grey = {
        width: WARMUP_SIZE,
        height: WARMUP_SIZE,
        data: new Uint8Array(WARMUP_SIZE * WARMUP_SIZE * 3).fill(128),
      };
      await model.score("warm-up", [grey, grey], "batched");
    } else {
      // An export with a symbolic embedding width gives no size to warm up with; its first curation warms it.
      const dim = model.embeddingDim;
      if (dim !== undefined) await model.score([new Float32Array(dim), new Float32Array(dim)], "batched");
    }
  }
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start) / 1000;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
