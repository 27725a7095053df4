import { buildAesthetic } from "./aesthetic/build-aesthetic.ts";
import { buildClip } from "./clip/build-clip.ts";
import { ensureBuilt } from "./model-cache.ts";
import { buildPainter } from "./painter/build-painter.ts";
import type { TimestepInput } from "./painter/unet.ts";

/** Built-in model names and the role each plays in the pipeline. */
export const BUILTIN_MODELS = {
  "aria-painter": "generator",
  "aria-clip": "clip",
  "aria-aesthetic": "aesthetic",
} as const;

export type BuiltinModelName = keyof typeof BUILTIN_MODELS;
export type BuiltinModelRole = (typeof BUILTIN_MODELS)[BuiltinModelName];

export interface BuiltinModelOptions {
  /** aria-painter only: "1gb" builds `aria-painter-xl` (≈1 GB of UNet weights) for cold-start benchmarks. */
  scale?: "1gb";
  /** aria-painter only, for tests: "float-scalar" builds `aria-painter-float-timestep` (timestep float32 []). */
  timestep?: TimestepInput;
}

export function isBuiltinModel(name: string): name is BuiltinModelName {
  return Object.hasOwn(BUILTIN_MODELS, name);
}

/** The cache directory name a request resolves to (variants get their own names). */
export function builtinVariantName(name: BuiltinModelName, options: BuiltinModelOptions = {}): string {
  if (name !== "aria-painter") return name;
  const xl = options.scale === "1gb" ? "-xl" : "";
  const timestep = options.timestep === "float-scalar" ? "-float-timestep" : "";
  return `${name}${xl}${timestep}`;
}

/**
 * Builds the model into the cache on first use (deterministically, with a sha256 manifest) and
 * returns its directory: `${ARIA_MODEL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/aria/models}/<name>-<hash>/`.
 */
export function ensureBuiltinModel(
  name: BuiltinModelName,
  options: BuiltinModelOptions = {},
): Promise<string> {
  const role = BUILTIN_MODELS[name];
  const variant = builtinVariantName(name, options);
  switch (name) {
    case "aria-painter":
      return ensureBuilt(variant, role, (dir) => buildPainter(dir, options));
    case "aria-clip":
      return ensureBuilt(variant, role, buildClip);
    case "aria-aesthetic":
      return ensureBuilt(variant, role, buildAesthetic);
  }
}
