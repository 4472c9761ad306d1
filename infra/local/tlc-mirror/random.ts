// Seeded randomness for the synthetic TLC generator. Math.random is never used: the same seed must
// produce the same file byte for byte, on any machine, so the mirror can be rebuilt and compared.

/** FNV-1a over the text of each part: folds a seed plus context (month, schema) into 32 bits. */
export function hashSeed(...parts: ReadonlyArray<string | number>): number {
  let hash = 0x811c9dc5;
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** One step of a splitmix-style 32-bit mixer; used only to spread a seed over the generator state. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

/**
 * xoshiro128** (period 2^128 - 1): fast in plain 32-bit JS arithmetic and far beyond the ~200 M
 * draws a full month needs, unlike 32-bit-state generators.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let state = seed >>> 0;
    this.s0 = mix32((state = (state + 0x6d2b79f5) >>> 0));
    this.s1 = mix32((state = (state + 0x6d2b79f5) >>> 0));
    this.s2 = mix32((state = (state + 0x6d2b79f5) >>> 0));
    this.s3 = mix32((state + 0x6d2b79f5) >>> 0);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const shifted = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (enough for row-level choices). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.float() * bound);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const u1 = 1 - this.float(); // (0, 1]: log(0) is never taken
    const u2 = this.float();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** Log-normal with the given median; sigma is the spread of the underlying normal. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Log-uniform in [min, max): spreads absurd values over orders of magnitude. */
  logUniform(min: number, max: number): number {
    return Math.exp(this.uniform(Math.log(min), Math.log(max)));
  }
}

/** A fixed discrete distribution over integer values, sampled by binary search on the CDF. */
export class WeightedChoice {
  private readonly values: Int32Array;
  private readonly cumulative: Float64Array;

  constructor(entries: ReadonlyArray<readonly [value: number, weight: number]>) {
    const positive = entries.filter(([, weight]) => weight > 0);
    if (positive.length === 0) throw new Error('WeightedChoice needs at least one positive weight');
    this.values = Int32Array.from(positive.map(([value]) => value));
    this.cumulative = new Float64Array(positive.length);
    let running = 0;
    positive.forEach(([, weight], index) => {
      running += weight;
      this.cumulative[index] = running;
    });
  }

  sample(random: SeededRandom): number {
    const target = random.float() * this.cumulative[this.cumulative.length - 1];
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle] > target) high = middle;
      else low = middle + 1;
    }
    return this.values[low];
  }
}
