/**
 * Seeded pseudo-random numbers, so that splits, shuffles and initialisation are reproducible
 * and a resumed run can continue the exact same sequence (`state()` / `restore()`).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state,
 * passes PractRand), seeded through splitmix32 so that nearby seeds (1, 2, 3...) give
 * unrelated streams. Pure 32-bit integer arithmetic: identical results on every platform.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** The generator's full state (four uint32), JSON-serialisable. */
  state(): number[];
  /** Continue from a state previously returned by `state()`. */
  restore(s: number[]): void;
}

export function createRng(seed: number): Rng {
  // splitmix32 expands one seed into four well-mixed state words.
  let sm = seed >>> 0;
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();

  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs, as the sfc32 author recommends, to mix the initial state.
  for (let i = 0; i < 12; i++) nextUint32();

  return {
    next: () => nextUint32() / 4294967296,
    int(n: number): number {
      if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
      return Math.floor((nextUint32() / 4294967296) * n);
    },
    state: () => [a, b, c >>> 0, d],
    restore(s: number[]): void {
      if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v))) {
        throw new RangeError('Rng.restore: expected four integers from Rng.state()');
      }
      [a, b, c, d] = s.map((v) => v >>> 0);
    },
  };
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates), drawn from `rng`. */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  shuffleInPlace(out, rng);
  return out;
}

/** Shuffle an array or typed array in place (Fisher-Yates) and return it. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
