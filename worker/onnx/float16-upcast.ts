import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import onnxProto from "onnx-proto";
import { fromFloat16 } from "./float16.ts";

const { onnx } = onnxProto;
const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;
type Tensor = onnxProto.onnx.ITensorProto;

/**
 * A float16 ONNX graph turned into float32, as diffusers' `vae.to(torch.float32)` upcasts a half VAE
 * (`force_upcast`): the half weights widened exactly, half value types and casts made float. Returns
 * undefined when the graph has nothing in half precision. Weights in external data are read in, so
 * the result is one self-contained buffer for InferenceSession.create.
 */
export async function upcastFloat16Graph(path: string): Promise<Uint8Array | undefined> {
  const model = onnx.ModelProto.decode(await readFile(path));
  const graph = model.graph!;
  let changed = false;
  const widen = async (tensor: Tensor) => {
    if (tensor.dataType !== FLOAT16) return;
    changed = true;
    tensor.rawData = Buffer.from(fromFloat16(await halfBits(tensor, dirname(path))).buffer);
    tensor.int32Data = [];
    tensor.externalData = [];
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.dataType = FLOAT;
  };
  for (const tensor of graph.initializer ?? []) await widen(tensor);
  for (const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    const tensorType = info.type?.tensorType;
    if (tensorType?.elemType === FLOAT16) {
      tensorType.elemType = FLOAT;
      changed = true;
    }
  }
  for (const node of graph.node ?? []) {
    for (const attribute of node.attribute ?? []) {
      if (attribute.t) await widen(attribute.t);
      for (const t of attribute.tensors ?? []) await widen(t);
      if (node.opType === "Cast" && attribute.name === "to" && Number(attribute.i) === FLOAT16) {
        attribute.i = FLOAT;
        changed = true;
      }
    }
  }
  return changed ? onnx.ModelProto.encode(model).finish() : undefined;
}

/** A half tensor's 16-bit patterns, from raw data, int32_data (one value per int) or an external file. */
async function halfBits(tensor: Tensor, dir: string): Promise<Uint16Array> {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const entry = (key: string) => tensor.externalData?.find((e) => e.key === key)?.value;
    const file = await readFile(join(dir, entry("location")!));
    const offset = Number(entry("offset") ?? 0);
    const length = Number(entry("length") ?? file.length - offset);
    return new Uint16Array(Uint8Array.from(file.subarray(offset, offset + length)).buffer);
  }
  if (tensor.rawData && tensor.rawData.length > 0) {
    return new Uint16Array(Uint8Array.from(tensor.rawData).buffer);
  }
  return Uint16Array.from(tensor.int32Data ?? []);
}
