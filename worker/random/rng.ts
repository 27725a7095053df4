/**
 * Seeded random numbers for initial latents and ancestral noise.
 *
 * xoshiro128** uses only 32-bit integer operations (Math.imul, shifts), so the integer stream is
 * bit-identical on every machine; the seed is expanded with splitmix32 so that neighbouring seeds
 * (42, 43, …) give unrelated streams. Gaussian draws use Box–Muller with Math.log/sqrt/cos/sin,
 * which V8 implements with its own fdlibm port rather than the platform libm, so a given Node
 * version reproduces the same floats everywhere.
 */
export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform draw in [0, 1) with 53 bits of precision. */
  uniform(): number;
  /** Standard normal draw (mean 0, standard deviation 1). */
  normal(): number;
  /** `n` standard normal draws, as the float32 tensors the models take. */
  randn(n: number): Float32Array;
}

const TWO_POW_32 = 4294967296;

/** Accepts the Artwork's seed range (0 … 2^32−1); anything else is a caller error naming `spec.seed`. */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_POW_32) {
    throw new RangeError(`spec.seed must be an integer from 0 to ${TWO_POW_32 - 1}, got ${seed}`);
  }
  return new Xoshiro128StarStar(seed);
}

class Xoshiro128StarStar implements Rng {
  private readonly s = new Uint32Array(4);
  // Box–Muller yields two independent normals per pair of uniforms; keeping the second halves the cost.
  private spare: number | undefined;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s[2] = s[2]! ^ s0;
    s[3] = s[3]! ^ s1;
    s[1] = s1 ^ s[2]!;
    s[0] = s0 ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  randn(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
