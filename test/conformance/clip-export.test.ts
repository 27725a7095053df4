// A genuine Optimum CLIP export (a tiny random CLIPModel, exported by Optimum's own exporter in the
// reference venv) loads in Aria unchanged, and its embeddings match transformers' and ONNX Runtime's.
import { readdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClipModel, type ClipScores } from "../../worker/curation/clip-model.ts";
import type { RgbImage } from "../../worker/curation/rgb-image.ts";
import { SessionFactory } from "../../worker/onnx/session-factory.ts";
import { RunMeter } from "../../worker/onnx/run-meter.ts";
import { ensureReferenceVenv, runPython } from "../reference/python-venv.ts";
import { ensureReferenceExport } from "../reference/reference-export.ts";
import { writeSdTokenizer } from "../reference/sd-tokenizers.ts";

const PROMPTS = [
  "a photo of a cat",
  "A RED Sunset over the OCEAN!! <|ENDOFTEXT|>",
  "東京の夜景, ΟΔΟΣ, café 👩‍🎨",
  Array(40).fill("colourful castle").join(" "),
];

/**
 * Smooth patterns, as photographs are; each size takes another path through the 64-pixel resize and
 * crop: exact, crop only, shrink, enlarge. PIL and libvips round bicubic enlargement differently by a
 * level or two (see clip-preprocess.test.ts), so the enlarged image is held to 1e-3.
 */
const SIZES: Array<[number, number, number]> = [
  [64, 64, 1e-4],
  [64, 80, 1e-4],
  [96, 64, 1e-4],
  [128, 128, 1e-4],
  [50, 40, 1e-3],
];
const IMAGES: RgbImage[] = SIZES.map(([width, height], k) => {
  const data = new Uint8Array(width! * height! * 3);
  for (let y = 0; y < height!; y++) {
    for (let x = 0; x < width!; x++) {
      const p = (y * width! + x) * 3;
      data[p] = 127.5 + 127 * Math.sin((x + 3 * k) / 9);
      data[p + 1] = 127.5 + 127 * Math.cos((y - 2 * k) / 13);
      data[p + 2] = (255 * (x + y)) / (width! + height!);
    }
  }
  return { width: width!, height: height!, data };
});

interface Reference {
  transformers: { text: number[][]; image: number[][] };
  onnxruntime: { text: number[][]; image: number[][] };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

describe("a CLIP model exported by Optimum", () => {
  let work: string;
  let exportDir: string;
  let clip: ClipModel;
  let reference: Reference;
  const aria: ClipScores[] = [];

  beforeAll(async () => {
    const venv = await ensureReferenceVenv();
    work = await mkdtemp(join(tmpdir(), "aria-clip-export-"));
    await writeSdTokenizer(join(work, "tokenizer"), "sd15");
    const out = await ensureReferenceExport(
      venv,
      "clip-tiny",
      new URL("../reference/export_clip.py", import.meta.url),
      ["--tokenizer", join(work, "tokenizer")],
    );
    exportDir = join(out, "onnx");
    const images = await Promise.all(
      IMAGES.map(async (image, i) => {
        const path = join(work, `image-${i}.rgb`);
        await writeFile(path, image.data);
        return { width: image.width, height: image.height, path };
      }),
    );
    await writeFile(join(work, "inputs.json"), JSON.stringify({ prompts: PROMPTS, images }));
    const stdout = await runPython(venv, [
      new URL("../reference/clip_embeddings.py", import.meta.url).pathname,
      ...["--source", join(out, "source"), "--export", exportDir, "--inputs", join(work, "inputs.json")],
    ]);
    reference = JSON.parse(stdout) as Reference;

    clip = await ClipModel.load("clip-tiny", exportDir, new SessionFactory("cpu"), new RunMeter());
    for (const prompt of PROMPTS) aria.push(await clip.score(prompt, IMAGES, "batched"));
  }, 3_600_000);

  afterAll(async () => {
    await clip?.release();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("is Optimum's layout: the tokenizer files beside model.onnx, no tokenizer/ folder", async () => {
    const files = await readdir(exportDir);
    expect(files).toEqual(
      expect.arrayContaining(["model.onnx", "vocab.json", "merges.txt", "preprocessor_config.json"]),
    );
    expect(files).not.toContain("tokenizer");
  });

  const sources = () => ({ transformers: reference.transformers, onnxruntime: reference.onnxruntime });

  it("gives the text embeddings of transformers and ONNX Runtime within 1e-4 cosine", () => {
    PROMPTS.forEach((prompt, i) => {
      for (const [source, embeds] of Object.entries(sources())) {
        const similarity = cosine(aria[i]!.textEmbed, embeds.text[i]!);
        expect(similarity, `${source}, ${JSON.stringify(prompt.slice(0, 40))}`).toBeGreaterThan(1 - 1e-4);
      }
    });
  });

  it("gives the image embeddings of transformers and ONNX Runtime within 1e-4 cosine, honouring preprocessor_config.json", () => {
    const rows = IMAGES.map((image, i) => ({
      size: `${image.width}×${image.height}`,
      tolerance: SIZES[i]![2],
      transformers: 1 - cosine(aria[0]!.imageEmbeds[i]!, reference.transformers.image[i]!),
      onnxruntime: 1 - cosine(aria[0]!.imageEmbeds[i]!, reference.onnxruntime.image[i]!),
    }));
    console.table(rows);
    for (const row of rows) {
      expect(row.transformers, row.size).toBeLessThan(row.tolerance);
      expect(row.onnxruntime, row.size).toBeLessThan(row.tolerance);
    }
  });
});
