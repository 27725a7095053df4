import { ensureBuiltinModel } from "../../models/builtin.ts";
import { SessionFactory } from "./execution-provider.ts";
import { ModelRegistry } from "./model-registry.ts";
import type { RenderContext } from "./render-artwork.ts";
import type { ModelSpec, RenderRequest } from "./render-request.ts";
import { RunMeter } from "./run-meter.ts";

/** The built-in models under the names tests use; the float-timestep painter is a second generator. */
export async function builtinSpecs(): Promise<ModelSpec[]> {
  return [
    { name: "aria-painter", role: "generator", dir: await ensureBuiltinModel("aria-painter") },
    {
      name: "aria-painter-float-timestep",
      role: "generator",
      dir: await ensureBuiltinModel("aria-painter", { timestep: "float-scalar" }),
    },
    { name: "aria-clip", role: "clip", dir: await ensureBuiltinModel("aria-clip") },
    { name: "aria-aesthetic", role: "aesthetic", dir: await ensureBuiltinModel("aria-aesthetic") },
  ];
}

/** An in-process render context over the built-in models (tests of the pipeline itself, without a thread). */
export async function loadTestContext(specs?: ModelSpec[]): Promise<RenderContext> {
  const factory = new SessionFactory("cpu");
  const meter = new RunMeter();
  const registry = new ModelRegistry(factory, meter);
  await registry.loadAll(specs ?? (await builtinSpecs()), 1, () => {});
  return { registry, factory, meter };
}

/** A small, fast request; tests override what they exercise. */
export function testRequest(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    prompt: "a red sunset over the sea",
    model: "aria-painter",
    seed: 42,
    steps: 6,
    guidanceScale: 5,
    scheduler: "euler",
    width: 128,
    height: 128,
    variations: 2,
    output: { formats: ["png"], upscale: 1 },
    ...overrides,
  };
}
