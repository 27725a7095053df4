import { describe, expect, it } from "vitest";
import { createRng } from "./rng.ts";

// Expected streams come from an independent Python implementation (xoshiro128** with splitmix32
// seeding, Box–Muller), itself checked against the xoshiro reference output for state [1, 2, 3, 4]
// (11520, 0, 5927040, 70819200).
describe("createRng", () => {
  it("produces the documented xoshiro128** stream for a seed", () => {
    const rng = createRng(42);
    expect(Array.from({ length: 5 }, () => rng.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180,
    ]);
    const zero = createRng(0);
    expect(Array.from({ length: 3 }, () => zero.nextUint32())).toEqual([3809008728, 1133695204, 53579671]);
  });

  it("draws uniforms in [0, 1) and Gaussians that match the reference", () => {
    const u = createRng(42);
    expect([u.uniform(), u.uniform(), u.uniform(), u.uniform()]).toEqual([
      0.6606157208001621, 0.1117019639532224, 0.0791056456144914, 0.015209237180418,
    ]);
    const n = createRng(42).randn(4);
    const expected = [1.1226592063903809, 0.9491474628448486, 0.4041278660297394, 0.03873744234442711];
    expected.forEach((e, i) => expect(n[i]).toBeCloseTo(e, 6));
  });

  it("gives the same latents for the same seed and different latents for a neighbouring seed", () => {
    expect(createRng(7).randn(1000)).toEqual(createRng(7).randn(1000));
    const a = createRng(7).randn(1000);
    const b = createRng(8).randn(1000);
    const same = a.filter((x, i) => x === b[i]).length;
    expect(same).toBeLessThan(5);
  });

  it("has standard-normal statistics", () => {
    const x = createRng(123).randn(200_000);
    let sum = 0;
    let sq = 0;
    let beyond3 = 0;
    for (const v of x) {
      sum += v;
      sq += v * v;
      if (Math.abs(v) > 3) beyond3++;
    }
    const mean = sum / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.sqrt(sq / x.length - mean * mean)).toBeCloseTo(1, 2);
    // P(|z| > 3) = 0.27 %.
    expect(beyond3 / x.length).toBeGreaterThan(0.002);
    expect(beyond3 / x.length).toBeLessThan(0.0035);
  });

  it("rejects seeds outside 0…2^32−1, naming spec.seed", () => {
    expect(() => createRng(-1)).toThrow(/spec\.seed must be an integer from 0 to 4294967295/);
    expect(() => createRng(1.5)).toThrow(/spec\.seed/);
    expect(() => createRng(2 ** 32)).toThrow(/spec\.seed/);
    expect(createRng(2 ** 32 - 1).uniform()).toBeLessThan(1);
  });
});
