import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODELS, ensureBuiltinModel, isBuiltinModel, type BuiltinModelName } from "./builtin.ts";
import { readManifest, type Manifest } from "./model-cache.ts";

const NAMES = Object.keys(BUILTIN_MODELS) as BuiltinModelName[];

async function buildAllInto(root: string): Promise<Record<string, string>> {
  process.env.ARIA_MODEL_CACHE = root;
  const dirs: Record<string, string> = {};
  for (const name of NAMES) dirs[name] = await ensureBuiltinModel(name);
  return dirs;
}

describe("built-in models", () => {
  let roots: string[];
  let first: Record<string, string>;
  let second: Record<string, string>;
  const savedCache = process.env.ARIA_MODEL_CACHE;

  beforeAll(async () => {
    roots = [
      await mkdtemp(join(tmpdir(), "aria-models-a-")),
      await mkdtemp(join(tmpdir(), "aria-models-b-")),
    ];
    first = await buildAllInto(roots[0]!);
    second = await buildAllInto(roots[1]!);
  });
  afterAll(async () => {
    if (savedCache === undefined) delete process.env.ARIA_MODEL_CACHE;
    else process.env.ARIA_MODEL_CACHE = savedCache;
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it("build byte-identically, with a manifest of every file's sha256", async () => {
    for (const name of NAMES) {
      expect(basename(first[name]!)).toMatch(new RegExp(`^${name}-[0-9a-f]{12}$`));
      const [a, b] = [await readManifest(first[name]!), await readManifest(second[name]!)];
      expect(a).toEqual(b);
      expect(a.role).toBe(BUILTIN_MODELS[name]);
      for (const file of a.files) {
        const bytes = await readFile(join(first[name]!, file.path));
        expect(createHash("sha256").update(bytes).digest("hex"), file.path).toBe(file.sha256);
      }
    }
  });

  it("are known by name", () => {
    expect(BUILTIN_MODELS).toEqual({
      "aria-painter": "generator",
      "aria-clip": "clip",
      "aria-aesthetic": "aesthetic",
    });
    expect(isBuiltinModel("aria-clip")).toBe(true);
    expect(isBuiltinModel("stable-diffusion-v1-5")).toBe(false);
  });

  it("reuse the cached build", async () => {
    process.env.ARIA_MODEL_CACHE = roots[0];
    expect(await ensureBuiltinModel("aria-clip")).toBe(first["aria-clip"]);
  });

  it("lay aria-painter out like a diffusers ONNX export", async () => {
    const manifest: Manifest = await readManifest(first["aria-painter"]!);
    expect(manifest.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "model_index.json",
        "scheduler/scheduler_config.json",
        "tokenizer/vocab.json",
        "tokenizer/merges.txt",
        "tokenizer/tokenizer_config.json",
        "tokenizer/special_tokens_map.json",
        "text_encoder/model.onnx",
        "unet/model.onnx",
        "vae_decoder/model.onnx",
        "vae_decoder/config.json",
      ]),
    );
    const index = JSON.parse(await readFile(join(first["aria-painter"]!, "model_index.json"), "utf8"));
    expect(index._class_name).toBe("OnnxStableDiffusionPipeline");
    expect(index.aria).toMatchObject({
      width: 256,
      height: 256,
      steps: 20,
      guidanceScale: 5,
      scheduler: "euler",
    });
    const vocab = JSON.parse(await readFile(join(first["aria-painter"]!, "tokenizer/vocab.json"), "utf8"));
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab["<|startoftext|>"]).toBe(49406);
    expect(vocab["red</w>"]).toBe(736);
  });

  it.each([
    [
      "aria-painter",
      "text_encoder/model.onnx",
      { input_ids: "int32" },
      ["last_hidden_state", "pooler_output"],
    ],
    [
      "aria-painter",
      "unet/model.onnx",
      { sample: "float32", timestep: "int64", encoder_hidden_states: "float32" },
      ["out_sample"],
    ],
    ["aria-painter", "vae_decoder/model.onnx", { latent_sample: "float32" }, ["sample"]],
    [
      "aria-clip",
      "model.onnx",
      { input_ids: "int64", attention_mask: "int64", pixel_values: "float32" },
      ["text_embeds", "image_embeds", "logits_per_image", "logits_per_text"],
    ],
    ["aria-aesthetic", "model.onnx", { input: "float32" }, ["score"]],
  ] as const)(
    "%s %s loads in onnxruntime-node on CPU with the export's IO",
    async (name, path, inputs, outputs) => {
      const file = join(first[name]!, path);
      const model = onnxProto.onnx.ModelProto.decode(await readFile(file));
      expect(Number(model.irVersion)).toBe(8);
      expect(Number(model.opsetImport[0]!.version)).toBeLessThanOrEqual(21);
      const session = await ort.InferenceSession.create(file, { executionProviders: ["cpu"] });
      const types = Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : "?"]));
      expect(types).toEqual(inputs);
      expect([...session.outputNames]).toEqual(outputs);
      await session.release();
    },
  );
});
