import { describe, expect, it } from "vitest";
import type { TensorMetadata } from "./model-session.ts";
import { RenderError } from "../pipeline/render-error.ts";
import { floatTensor, intTensor, timestepTensor } from "./tensor-feeds.ts";

const meta = (type: TensorMetadata["type"], shape: Array<number | string>): TensorMetadata => ({
  name: "timestep",
  isTensor: true,
  type,
  shape,
});

describe("tensor feeds", () => {
  it("shapes the timestep as each exporter declares it", () => {
    const int64 = timestepTensor(meta("int64", ["batch"]), 946.7, 2);
    expect(int64.dims).toEqual([2]);
    expect(Array.from(int64.data as BigInt64Array)).toEqual([946n, 946n]);
    const scalar = timestepTensor(meta("float32", []), 946.7, 2);
    expect(scalar.dims).toEqual([]);
    expect(scalar.data).toEqual(new Float32Array([946.7]));
    const fixed = timestepTensor(meta("float32", [1]), 10, 2);
    expect(fixed.dims).toEqual([1]);
    const half = timestepTensor(meta("float16", ["batch"]), 500, 2);
    expect(half.type).toBe("float16");
    expect(Array.from(half.data as Uint16Array)).toEqual([0x5fd0, 0x5fd0]);
  });

  it("gives token ids and floats in the declared dtype, and names an unsupported one", () => {
    expect(intTensor(meta("int32", ["batch", 77]), [49406, 49407], [1, 2]).type).toBe("int32");
    expect(intTensor(meta("int64", ["batch", 77]), [49406, 49407], [1, 2]).data).toEqual(
      BigInt64Array.from([49406n, 49407n]),
    );
    expect(floatTensor(meta("float16", ["batch"]), new Float32Array([1]), [1]).data).toEqual(
      Uint16Array.from([0x3c00]),
    );
    expect(() => floatTensor(meta("int8", ["batch"]), new Float32Array([1]), [1])).toThrow(RenderError);
    expect(() => floatTensor(meta("int8", ["batch"]), new Float32Array([1]), [1])).toThrow(
      /input timestep has dtype int8, expected float32 or float16/,
    );
  });
});
