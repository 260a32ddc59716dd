import { UserError } from '../errors';
import { type Rng, shuffledIndices } from '../util/random';

/**
 * Hold out a seeded random `fraction` of `count` examples as a test split. Both index lists
 * are returned in ascending order (the original file order), so a split is easy to inspect;
 * the trainer shuffles training batches itself. The test split gets round(count * fraction)
 * examples, but at least one, and the training split keeps at least one.
 */
export function holdOut(count: number, fraction: number, rng: Rng, pointer = '/data/testSplit'): { train: Int32Array; test: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`testSplit must be between 0 and 1 (exclusive), got ${fraction}`, pointer);
  if (count < 2) throw new UserError(`cannot hold out a test split from ${count} example${count === 1 ? '' : 's'}; give a test file or more data`, pointer);
  const nTest = Math.min(count - 1, Math.max(1, Math.round(count * fraction)));
  const perm = shuffledIndices(count, rng);
  const test = perm.slice(0, nTest).sort();
  const train = perm.slice(nTest).sort();
  return { train, test };
}

/** The rows `idx` of a row-major array with `width` values per row. */
export function gatherRows<T extends Float32Array | Int32Array>(x: T, width: number, idx: Int32Array): T {
  const out = new (x.constructor as { new (n: number): T })(idx.length * width);
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * width;
    out.set(x.subarray(src, src + width), r * width);
  }
  return out;
}
