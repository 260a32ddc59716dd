import { accumulateNorms, allNorms, finishNorms, NormContext } from './norms';

/**
 * A canonical reward read block by block: `fill` writes entries e0 .. e0+m of its values to
 * out[at ..]. Either an array (`values` set) or a structured form whose entries are computed on
 * demand, so that pairwise matrices need not hold a fresh S*A*S array per reward: DARD's
 * c = R + (gamma*p(s') - p(s) - gamma*term(s, s')) is the reward plus S*S numbers, and at
 * 512 states, 8 actions each materialised 16 MB array cost 10-15 ms of page faults alone.
 * Every entry is the same float64 expression as in the materialised array.
 */
export interface CanonicalSource {
  readonly length: number;
  /** The values stand for an S*A array constant in s' (VAL). */
  readonly perStateAction: boolean;
  /** The values as one array, when the source is one. */
  readonly values?: Float64Array;
  fill(e0: number, m: number, out: Float64Array, at: number): void;
}

/** A source over a materialised array. */
export function arraySource(values: Float64Array, perStateAction: boolean): CanonicalSource {
  return { length: values.length, perStateAction, values, fill: (e0, m, out, at) => out.set(values.subarray(e0, e0 + m), at) };
}

/** The source's values as one array (a copy unless it is an array source). */
export function materialize(src: CanonicalSource): Float64Array {
  if (src.values) return src.values;
  const out = new Float64Array(src.length);
  src.fill(0, src.length, out, 0);
  return out;
}

const NORM_BLOCK = 4096;

/**
 * `allNorms` of the source's values, bit-identical to it on the materialised array: the same
 * running sums in the same order, carried from block to block.
 */
export function sourceNorms(ctx: NormContext, src: CanonicalSource, out: Float64Array = new Float64Array(6)): Float64Array {
  if (src.values) return allNorms(ctx, src.values, src.perStateAction, out);
  if (src.perStateAction) return allNorms(ctx, materialize(src), true, out);
  const buf = new Float64Array(Math.min(NORM_BLOCK, src.length));
  const sums = new Float64Array(6);
  for (let e0 = 0; e0 < src.length; e0 += NORM_BLOCK) {
    const m = Math.min(NORM_BLOCK, src.length - e0);
    src.fill(e0, m, buf, 0);
    accumulateNorms(sums, buf, e0, m, ctx.transitions);
  }
  return finishNorms(sums, out);
}
