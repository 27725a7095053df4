import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltinModel } from "../../models/builtin.ts";
import { dominantHue } from "../curation/dominant-hue.ts";
import { renderArtwork, type RenderContext } from "../pipeline/render-artwork.ts";
import { builtinSpecs, loadTestContext, testRequest } from "../../test/fixtures/builtin-pipeline.ts";

const { onnx } = onnxProto;
const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;

/**
 * Turns a float32 graph into a half-precision export's interface, as `optimum-cli export --fp16`
 * presents it: every float input and output (and the timestep) becomes float16, with Casts inside.
 */
async function toHalfInterface(path: string, alsoInputs: string[] = []): Promise<void> {
  const model = onnx.ModelProto.decode(await readFile(path));
  const graph = model.graph!;
  const front: onnxProto.onnx.INodeProto[] = [];
  for (const input of graph.input ?? []) {
    const tensor = input.type!.tensorType!;
    if (tensor.elemType !== FLOAT && !alsoInputs.includes(input.name!)) continue;
    const inner = `${input.name}__inner`;
    for (const node of graph.node ?? []) node.input = node.input!.map((n) => (n === input.name ? inner : n));
    front.push({
      name: `${inner}_cast`,
      opType: "Cast",
      input: [input.name!],
      output: [inner],
      attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: tensor.elemType! }],
    });
    tensor.elemType = FLOAT16;
  }
  const back: onnxProto.onnx.INodeProto[] = [];
  for (const output of graph.output ?? []) {
    const tensor = output.type!.tensorType!;
    if (tensor.elemType !== FLOAT) continue;
    const inner = `${output.name}__inner`;
    for (const node of graph.node ?? [])
      node.output = node.output!.map((n) => (n === output.name ? inner : n));
    back.push({
      name: `${inner}_cast`,
      opType: "Cast",
      input: [inner],
      output: [output.name!],
      attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: FLOAT16 }],
    });
    tensor.elemType = FLOAT16;
  }
  graph.node = [...front, ...(graph.node ?? []), ...back];
  await writeFile(path, onnx.ModelProto.encode(model).finish());
}

let dir: string;
let ctx: RenderContext;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aria-fp16-"));
  await cp(await ensureBuiltinModel("aria-painter"), dir, { recursive: true });
  await toHalfInterface(join(dir, "text_encoder", "model.onnx"));
  await toHalfInterface(join(dir, "unet", "model.onnx"), ["timestep"]);
  await toHalfInterface(join(dir, "vae_decoder", "model.onnx"));
  ctx = await loadTestContext([
    ...(await builtinSpecs()),
    { name: "aria-painter-fp16", role: "generator", dir },
  ]);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("float16 exports", () => {
  it("feeds float16 inputs (timestep included) and reads float16 outputs, painting what float32 paints", async () => {
    const unet = await ort.InferenceSession.create(join(dir, "unet", "model.onnx"));
    expect(unet.inputMetadata.map((m) => (m.isTensor ? m.type : "?"))).toEqual([
      "float16",
      "float16",
      "float16",
    ]);
    expect(ctx.registry.states().find((s) => s.name === "aria-painter-fp16")?.state).toBe("Ready");
    const half = await renderArtwork(
      ctx,
      testRequest({ model: "aria-painter-fp16", variations: 1 }),
      () => {},
    );
    const full = await renderArtwork(ctx, testRequest({ variations: 1 }), () => {});
    const decode = async (png: Buffer) => {
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      return { width: info.width, height: info.height, data };
    };
    const a = await decode(half.candidates[0]!.png);
    const b = await decode(full.candidates[0]!.png);
    expect(dominantHue(a).colour).toBe("red");
    let diff = 0;
    for (let i = 0; i < a.data.length; i++) diff += Math.abs(a.data[i]! - b.data[i]!);
    // Half precision moves pixels a little, not the picture.
    expect(diff / a.data.length).toBeLessThan(3);
  });
});
