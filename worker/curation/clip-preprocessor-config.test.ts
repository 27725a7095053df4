import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIP_VIT_SETTINGS } from "./clip-preprocess.ts";
import { readClipImageSettings } from "./clip-preprocessor-config.ts";

describe("readClipImageSettings", () => {
  let dir: string;
  const read = async (config: Record<string, unknown>) => {
    const path = join(dir, "preprocessor_config.json");
    await writeFile(path, JSON.stringify(config));
    return readClipImageSettings("clip", path);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aria-preprocessor-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses CLIP ViT's defaults without the file", async () => {
    expect(await readClipImageSettings("clip", join(dir, "absent.json"))).toEqual(CLIP_VIT_SETTINGS);
  });

  it("follows the size, crop, mean and std an export's CLIPImageProcessor saved", async () => {
    const settings = await read({
      image_processor_type: "CLIPImageProcessor",
      do_resize: true,
      size: { shortest_edge: 64 },
      resample: 3,
      do_center_crop: true,
      crop_size: { height: 48, width: 64 },
      do_rescale: true,
      rescale_factor: 0.00392156862745098,
      do_normalize: true,
      image_mean: [0.5, 0.45, 0.4],
      image_std: [0.22, 0.25, 0.28],
      do_convert_rgb: true,
    });
    expect(settings).toEqual({
      shortestEdge: 64,
      crop: { height: 48, width: 64 },
      rescale: 0.00392156862745098,
      mean: [0.5, 0.45, 0.4],
      std: [0.22, 0.25, 0.28],
    });
  });

  it("reads the older integer form of size and crop_size, and switched-off steps", async () => {
    expect(await read({ size: 256, crop_size: 256, do_normalize: false, do_rescale: false })).toEqual({
      shortestEdge: 256,
      crop: { height: 256, width: 256 },
      rescale: 1,
      mean: undefined,
      std: undefined,
    });
  });

  it.each([
    [
      { resample: 2 },
      /^clip: preprocessor_config.json: resample 2 is not supported \(allowed: 3 \(bicubic\)\)$/,
    ],
    [
      { size: { height: 224, width: 224 } },
      /preprocessor_config.json: size \{"height":224,"width":224\} is not supported/,
    ],
    [
      { image_processor_type: "SiglipImageProcessor" },
      /preprocessor_config.json: image_processor_type "SiglipImageProcessor"/,
    ],
    [
      { size: { shortest_edge: 224 }, crop_size: 256 },
      /preprocessor_config.json: crop_size 256 is not supported \(allowed: at most size.shortest_edge, 224\)/,
    ],
    [
      { image_mean: [0.5] },
      /preprocessor_config.json: image_mean \[0.5\] is not supported \(allowed: three numbers/,
    ],
    [
      { do_resize: "yes" },
      /preprocessor_config.json: do_resize "yes" is not supported \(allowed: true or false\)/,
    ],
  ])("refuses %j at load, naming the file and the key", async (config, message) => {
    await expect(read(config)).rejects.toThrow(message);
  });
});
