import { describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { join } from "node:path";
import { SessionFactory } from "./session-factory.ts";

describe("SessionFactory", () => {
  it("falls back from CUDA to CPU with a message when the CUDA provider cannot load, and logs it once", async () => {
    const logged: string[] = [];
    const factory = new SessionFactory("cuda", 1, (_level, msg) => logged.push(msg));
    const model = join(await ensureBuiltinModel("aria-aesthetic"), "model.onnx");
    const first = await factory.open(model);
    await factory.open(model);
    expect(first.inputNames).toEqual(["input"]);
    if (factory.provider === "cuda") {
      // A machine with CUDA libraries and a GPU: no fallback, nothing to explain.
      expect(factory.providerMessage).toBeUndefined();
    } else {
      expect(factory.providerMessage).toMatch(/^CUDA execution provider unavailable \(.+\); running on CPU$/);
      expect(logged).toEqual(["execution provider fell back from cuda to cpu"]);
    }
  });

  it("uses CPU without a message when asked for CPU", async () => {
    const factory = new SessionFactory("cpu", 1);
    await factory.open(join(await ensureBuiltinModel("aria-aesthetic"), "model.onnx"));
    expect(factory.provider).toBe("cpu");
    expect(factory.providerMessage).toBeUndefined();
  });
});
