import { describe, expect, it } from "vitest";
import { fromFloat16, toFloat16 } from "./float16.ts";

describe("float16", () => {
  it("encodes the bit patterns numpy's float16 gives", () => {
    const bits = toFloat16(new Float32Array([0, -0, 1, -2, 0.5, 65504, 70000, 6e-8, 0.1, -Infinity]));
    expect(Array.from(bits)).toEqual([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0x0001, 0x2e66, 0xfc00,
    ]);
  });

  it("round-trips latent-sized values within half precision", () => {
    const values = new Float32Array(1000).map((_, i) => Math.sin(i) * 4);
    const back = fromFloat16(toFloat16(values));
    for (let i = 0; i < values.length; i++) {
      expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 1e-7);
    }
    expect(Number.isNaN(fromFloat16(toFloat16(new Float32Array([NaN])))[0])).toBe(true);
  });
});
