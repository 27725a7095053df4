import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { RenderError } from "./render-error.ts";
import { loadTestContext } from "../../test/fixtures/builtin-pipeline.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("ModelRegistry", () => {
  it("reports a corrupt or missing model as Failed with the reason, and keeps the others Ready", async () => {
    const broken = await mkdtemp(join(tmpdir(), "aria-broken-"));
    dirs.push(broken);
    await cp(await ensureBuiltinModel("aria-painter"), broken, { recursive: true });
    await writeFile(join(broken, "unet", "model.onnx"), "this is not an ONNX model");
    const specs = [
      { name: "broken-painter", role: "generator" as const, dir: broken },
      { name: "missing-clip", role: "clip" as const, dir: join(broken, "nowhere") },
      { name: "aria-aesthetic", role: "aesthetic" as const, dir: await ensureBuiltinModel("aria-aesthetic") },
    ];
    const ctx = await loadTestContext(specs);
    const states = ctx.registry.states();
    expect(states.map((s) => [s.name, s.state])).toEqual([
      ["broken-painter", "Failed"],
      ["missing-clip", "Failed"],
      ["aria-aesthetic", "Ready"],
    ]);
    expect(states[0]!.message).toMatch(
      /^broken-painter could not be loaded from .*: .*(protobuf|parse|model)/i,
    );
    expect(states[0]!.message).toContain("unet");
    expect(states[1]!.message).toMatch(/no such file or directory/);

    const error = (() => {
      try {
        ctx.registry.generator("broken-painter");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).reason).toBe("ModelNotLoaded");
    expect((error as RenderError).message).toMatch(
      /^spec\.model: broken-painter is Failed: broken-painter could not/,
    );
  });

  it("fails a generator whose refiner cannot continue it, and a refiner folder that is not SDXL, saying why", async () => {
    const painter = await ensureBuiltinModel("aria-painter");
    const ctx = await loadTestContext([
      {
        name: "painter",
        role: "generator",
        dir: painter,
        refiner: { model: "painter-refiner", switchAt: 0.8 },
      },
      { name: "painter-refiner", role: "refiner", dir: painter },
    ]);
    const states = Object.fromEntries(ctx.registry.states().map((s) => [s.name, s]));
    expect(states["painter-refiner"]!.state).toBe("Failed");
    expect(states["painter-refiner"]!.message).toContain("a refiner continues an SDXL generator's latents");
    expect(states.painter!.state).toBe("Failed");
    expect(states.painter!.message).toBe("painter: its refiner painter-refiner did not load");
  });
});
