import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Opset 17 keeps the built-in models loadable by onnxruntime 1.20 (max 21) as well as 1.30. */
export const OPSET = 17;
export const IR_VERSION = 8;

export type ElementType = "float32" | "int64" | "int32";
/** A dimension is a fixed size or a symbolic name, so batch and spatial sizes stay dynamic. */
export type Dim = number | string;

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

/** Plain numbers are INT attributes; float attributes are spelled `{ f }` so 1.0 is not mistaken for 1. */
export type AttributeValue = number | number[] | string | { f: number };

/** A large float initializer whose bytes live in a side file (ONNX external data), as exporters do for big models. */
export interface ExternalTensor {
  name: string;
  dims: number[];
  offset: number;
  length: number;
}

/**
 * A small, deterministic ONNX graph writer: nodes get sequential names, initializers are stored as
 * little-endian raw_data, and nothing time- or host-dependent is recorded, so the same calls always
 * produce the same bytes.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, type: ElementType, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: ElementType, shape: Dim[]): void {
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** Adds a constant tensor; float32 data is copied as-is (Float32Array) or rounded from numbers. */
  constant(values: ArrayLike<number>, dims: number[], type: ElementType = "float32", name?: string): string {
    const tensorName = name ?? this.fresh("const");
    this.initializers.push({
      name: tensorName,
      dims,
      dataType: DATA_TYPE[type],
      rawData: rawBytes(values, type),
    });
    return tensorName;
  }

  /** Adds a float32 initializer stored outside the model file at the given byte range. */
  externalConstant(tensor: ExternalTensor, location: string): string {
    this.initializers.push({
      name: tensor.name,
      dims: tensor.dims,
      dataType: DATA_TYPE.float32,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: location },
        { key: "offset", value: String(tensor.offset) },
        { key: "length", value: String(tensor.length) },
      ],
    });
    return tensor.name;
  }

  scalar(value: number, type: ElementType = "float32"): string {
    return this.constant([value], [], type);
  }

  /** Emits one node and returns its (first) output name. */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    outputName?: string,
  ): string {
    const output = outputName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      name: this.fresh(`n_${opType}`),
      opType,
      input: inputs,
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op("Sub", [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op("Mul", [a, b]);
  }
  div(a: string, b: string): string {
    return this.op("Div", [a, b]);
  }
  /** Slices `[start, end)` along one axis. */
  slice(x: string, axis: number, start: number, end: number): string {
    return this.op("Slice", [
      x,
      this.constant([start], [1], "int64"),
      this.constant([end], [1], "int64"),
      this.constant([axis], [1], "int64"),
    ]);
  }
  reshape(x: string, shape: number[] | string): string {
    const target = typeof shape === "string" ? shape : this.constant(shape, [shape.length], "int64");
    return this.op("Reshape", [x, target]);
  }
  unsqueeze(x: string, axes: number[]): string {
    return this.op("Unsqueeze", [x, this.constant(axes, [axes.length], "int64")]);
  }
  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    return this.op("ReduceSum", [x, this.constant(axes, [axes.length], "int64")], {
      keepdims: keepdims ? 1 : 0,
    });
  }
  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    return this.op("ReduceMean", [x], { axes, keepdims: keepdims ? 1 : 0 });
  }
  /** The size of dimension `axis` of `x` as an int64 tensor of shape [1]. */
  dim(x: string, axis: number): string {
    return this.op("Shape", [x], { start: axis, end: axis + 1 });
  }

  /** Serialises the model; identical calls give identical bytes. */
  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: "aria-model-builder",
      producerVersion: "1",
      opsetImport: [{ domain: "", version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}_${this.counter}`;
  }
}

function valueInfo(name: string, type: ElementType, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const types = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") {
    return { name, type: types.STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === "number") {
    return { name, type: types.INT, i: value };
  }
  if (Array.isArray(value)) {
    return { name, type: types.INTS, ints: value };
  }
  return { name, type: types.FLOAT, f: value.f };
}

function rawBytes(values: ArrayLike<number>, type: ElementType): Uint8Array {
  const bytesPer = type === "int64" ? 8 : 4;
  const view = new DataView(new ArrayBuffer(values.length * bytesPer));
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (type === "float32") view.setFloat32(i * 4, v, true);
    else if (type === "int32") view.setInt32(i * 4, v, true);
    else view.setBigInt64(i * 8, BigInt(v), true);
  }
  return new Uint8Array(view.buffer);
}
