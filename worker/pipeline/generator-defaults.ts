import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SCHEDULERS } from "../../crds/artwork.ts";
import type { ModelDefaults } from "../../crds/effective-spec.ts";

/** What an Artwork leaves unset defaults to: the model's own `aria` block, else Stable Diffusion 1.x's. */
export type GeneratorDefaults = ModelDefaults;

const SD_DEFAULTS: GeneratorDefaults = {
  width: 512,
  height: 512,
  steps: 25,
  guidanceScale: 7.5,
  scheduler: "euler",
};

export function readDefaults(index: Record<string, unknown>): GeneratorDefaults {
  const aria = (index.aria ?? {}) as Partial<Record<keyof GeneratorDefaults, unknown>>;
  const pick = <K extends keyof GeneratorDefaults>(
    key: K,
    valid: (v: unknown) => boolean,
  ): GeneratorDefaults[K] => (valid(aria[key]) ? (aria[key] as GeneratorDefaults[K]) : SD_DEFAULTS[key]);
  const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  return {
    width: pick("width", isNumber),
    height: pick("height", isNumber),
    steps: pick("steps", isNumber),
    guidanceScale: pick("guidanceScale", isNumber),
    scheduler: pick("scheduler", (v) => (SCHEDULERS as readonly unknown[]).includes(v)),
  };
}

/** The defaults of the generator in `dir`, read without loading it (the worker's main thread needs them). */
export async function generatorDefaults(dir: string): Promise<GeneratorDefaults> {
  try {
    return readDefaults(
      JSON.parse(await readFile(join(dir, "model_index.json"), "utf8")) as Record<string, unknown>,
    );
  } catch {
    return readDefaults({});
  }
}
