import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  CLIP_MEAN,
  CLIP_SIZE,
  CLIP_STD,
  CLIP_VIT_SETTINGS,
  type ClipImageSettings,
} from "./clip-preprocess.ts";
import { RenderError } from "../pipeline/render-error.ts";

const PROCESSORS = ["CLIPImageProcessor", "CLIPImageProcessorFast", "CLIPFeatureExtractor"];
const BICUBIC = 3;

/**
 * Reads a CLIP export's preprocessor_config.json (CLIPImageProcessor's keys, with its defaults for
 * what is absent) into the settings clipPreprocess follows; without the file, CLIP ViT's defaults.
 * What the worker cannot do as the reference does is refused here, naming the file and the key.
 */
export async function readClipImageSettings(name: string, path: string): Promise<ClipImageSettings> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return CLIP_VIT_SETTINGS;
    throw error;
  }
  const refuse = (key: string, value: unknown, allowed: string): never => {
    throw new RenderError(
      "UnsupportedModel",
      `${name}: ${basename(path)}: ${key} ${JSON.stringify(value)} is not supported (allowed: ${allowed})`,
    );
  };
  const flag = (key: string): boolean => {
    const value = config[key] ?? true;
    return typeof value === "boolean" ? value : refuse(key, value, "true or false");
  };
  const positive = (key: string, value: unknown): number =>
    Number.isInteger(value) && (value as number) > 0
      ? (value as number)
      : refuse(key, value, "a positive integer");
  const triple = (key: string, fallback: readonly number[]): readonly number[] => {
    const value = config[key] ?? fallback;
    return Array.isArray(value) && value.length === 3 && value.every((x) => typeof x === "number")
      ? (value as number[])
      : refuse(key, value, "three numbers, one per RGB channel");
  };

  const type = config.image_processor_type ?? config.feature_extractor_type;
  if (type !== undefined && !PROCESSORS.includes(type as string))
    refuse("image_processor_type", type, PROCESSORS.join(", "));
  if ((config.resample ?? BICUBIC) !== BICUBIC) refuse("resample", config.resample, "3 (bicubic)");

  let shortestEdge: number | undefined;
  if (flag("do_resize")) {
    const size = config.size ?? { shortest_edge: CLIP_SIZE };
    if (typeof size === "number") shortestEdge = positive("size", size);
    else if (size && typeof size === "object" && "shortest_edge" in size)
      shortestEdge = positive("size.shortest_edge", size.shortest_edge);
    else refuse("size", size, "{ shortest_edge: N } — CLIP resizes the short side");
  }
  let crop: ClipImageSettings["crop"];
  if (flag("do_center_crop")) {
    const size = config.crop_size ?? CLIP_SIZE;
    crop =
      typeof size === "object" && size !== null
        ? {
            height: positive("crop_size.height", (size as { height?: unknown }).height),
            width: positive("crop_size.width", (size as { width?: unknown }).width),
          }
        : { height: positive("crop_size", size), width: positive("crop_size", size) };
    if (shortestEdge !== undefined && Math.max(crop.height, crop.width) > shortestEdge) {
      refuse("crop_size", config.crop_size, `at most size.shortest_edge, ${shortestEdge}`);
    }
  }
  const rescaleFactor = config.rescale_factor ?? 1 / 255;
  if (typeof rescaleFactor !== "number") refuse("rescale_factor", rescaleFactor, "a number");
  const normalize = flag("do_normalize");
  return {
    shortestEdge,
    crop,
    rescale: flag("do_rescale") ? (rescaleFactor as number) : 1,
    mean: normalize ? triple("image_mean", CLIP_MEAN) : undefined,
    std: normalize ? triple("image_std", CLIP_STD) : undefined,
  };
}
