import * as ort from "onnxruntime-node";
import { fromFloat16, toFloat16 } from "./float16.ts";
import type { TensorMetadata } from "./model-session.ts";
import { RenderError } from "../pipeline/render-error.ts";

// Exporters disagree on input dtypes (timestep int64 [batch], float [batch], float16, a float scalar;
// input_ids int32 or int64), so every feed is built from the session's own input metadata.

/** A float feed in the dtype the model declares: float32 as is, float16 converted. */
export function floatTensor(meta: TensorMetadata, data: Float32Array, dims: readonly number[]): ort.Tensor {
  switch (meta.type) {
    case "float32":
      return new ort.Tensor("float32", data, dims);
    case "float16":
      return new ort.Tensor("float16", toFloat16(data), dims);
    default:
      throw unsupported(meta, "float32 or float16");
  }
}

/** Token ids or masks as int32 or int64. */
export function intTensor(
  meta: TensorMetadata,
  values: readonly number[],
  dims: readonly number[],
): ort.Tensor {
  switch (meta.type) {
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(values), dims);
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );
    default:
      throw unsupported(meta, "int32 or int64");
  }
}

/**
 * The UNet timestep in whatever form the export takes: a scalar `[]`, or one value per batch item.
 * Integer dtypes truncate the scheduler's (possibly fractional) timestep, as diffusers' ONNX pipeline
 * does with `np.array([t], dtype=timestep_dtype)`.
 */
export function timestepTensor(meta: TensorMetadata, timestep: number, batch: number): ort.Tensor {
  const dims = meta.shape.map((d) => (typeof d === "number" ? d : batch));
  const size = dims.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case "int64":
      return new ort.Tensor("int64", new BigInt64Array(size).fill(BigInt(Math.trunc(timestep))), dims);
    case "int32":
      return new ort.Tensor("int32", new Int32Array(size).fill(Math.trunc(timestep)), dims);
    case "float32":
      return new ort.Tensor("float32", new Float32Array(size).fill(timestep), dims);
    case "float16":
      return new ort.Tensor("float16", toFloat16(new Float32Array(size).fill(timestep)), dims);
    case "float64":
      return new ort.Tensor("float64", new Float64Array(size).fill(timestep), dims);
    default:
      throw unsupported(meta, "int64, int32, float32, float16 or float64");
  }
}

/** An output as float32, whichever float type the model produced. */
export function readFloats(tensor: ort.Tensor | undefined, label: string): Float32Array {
  if (tensor?.type === "float32") return tensor.data as Float32Array;
  if (tensor?.type === "float16") return fromFloat16(tensor.data as Uint16Array);
  throw new RenderError(
    "UnsupportedModel",
    `${label} returned ${tensor?.type ?? "no"} output, expected float32 or float16`,
  );
}

function unsupported(meta: TensorMetadata, expected: string): RenderError {
  return new RenderError(
    "UnsupportedModel",
    `input ${meta.name} has dtype ${meta.type}, expected ${expected}`,
  );
}
