import { SCHEDULERS } from "../../crds/artwork.ts";
import type { ModelDefaults } from "../../crds/effective-spec.ts";
import { readGeneratorFolder, type GeneratorFolder } from "./generator-folder.ts";

/**
 * What an Artwork leaves unset defaults to: the pool's per-model `defaults`, then the folder's own
 * `aria` block, then what the family's diffusers pipeline does (its trained size, the scheduler its
 * scheduler_config.json names, LCM's 4 steps and guidance 8.5, SDXL's guidance 5).
 */
export type GeneratorDefaults = ModelDefaults;

const SD_DEFAULTS: GeneratorDefaults = {
  width: 512,
  height: 512,
  steps: 25,
  guidanceScale: 7.5,
  scheduler: "euler",
};

/** The defaults of a folder read by readGeneratorFolder; absent a folder, Stable Diffusion 1.x's. */
export function defaultsOf(folder?: GeneratorFolder): GeneratorDefaults {
  if (!folder) return SD_DEFAULTS;
  const aria = folder.aria as Partial<Record<keyof GeneratorDefaults, unknown>>;
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const lcm = folder.pipeline === "latent-consistency" || folder.schedulerName === "lcm";
  const trained =
    folder.unet.sampleSize !== undefined ? folder.unet.sampleSize * folder.vae.scaleFactor : undefined;
  const family: GeneratorDefaults = {
    width: trained ?? SD_DEFAULTS.width,
    height: trained ?? SD_DEFAULTS.height,
    steps: lcm ? 4 : SD_DEFAULTS.steps,
    guidanceScale: lcm ? 8.5 : folder.pipeline === "stable-diffusion-xl" ? 5 : SD_DEFAULTS.guidanceScale,
    scheduler: folder.schedulerName,
  };
  return {
    width: isNumber(aria.width) ? aria.width : family.width,
    height: isNumber(aria.height) ? aria.height : family.height,
    steps: isNumber(aria.steps) ? aria.steps : family.steps,
    guidanceScale: isNumber(aria.guidanceScale) ? aria.guidanceScale : family.guidanceScale,
    scheduler: (SCHEDULERS as readonly unknown[]).includes(aria.scheduler)
      ? (aria.scheduler as GeneratorDefaults["scheduler"])
      : family.scheduler,
  };
}

/** The defaults of the generator in `dir`, read without loading it (the worker's main thread needs them). */
export async function generatorDefaults(name: string, dir: string): Promise<GeneratorDefaults> {
  try {
    return defaultsOf(await readGeneratorFolder(name, dir));
  } catch {
    // A folder that cannot be read fails its load in the inference thread, with the reason; the
    // defaults of a model that never becomes Ready are never used.
    return defaultsOf();
  }
}
