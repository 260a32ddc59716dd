import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng, shuffledIndices, shuffleInPlace } from '../../../src/core/util/random';

test('same seed gives the same sequence, different seeds differ', () => {
  const a = createRng(7);
  const b = createRng(7);
  const c = createRng(8);
  const sa = Array.from({ length: 100 }, () => a.next());
  const sb = Array.from({ length: 100 }, () => b.next());
  const sc = Array.from({ length: 100 }, () => c.next());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  for (const v of sa) assert.ok(v >= 0 && v < 1);
});

test('next() is roughly uniform on [0, 1)', () => {
  const rng = createRng(123);
  const bins = new Array(10).fill(0);
  const n = 20000;
  for (let i = 0; i < n; i++) bins[Math.floor(rng.next() * 10)]++;
  // Each bin expects 2000; 5 standard deviations is ~212.
  for (const count of bins) assert.ok(Math.abs(count - n / 10) < 250, `bin count ${count}`);
});

test('int(n) covers exactly 0..n-1 and rejects bad n', () => {
  const rng = createRng(1);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(rng.int(5));
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => rng.int(0), RangeError);
  assert.throws(() => rng.int(2.5), RangeError);
});

test('state() and restore() continue the exact sequence', () => {
  const rng = createRng(99);
  for (let i = 0; i < 17; i++) rng.next();
  const saved = JSON.parse(JSON.stringify(rng.state())) as number[];
  const expected = Array.from({ length: 20 }, () => rng.next());
  const other = createRng(5);
  other.restore(saved);
  assert.deepEqual(Array.from({ length: 20 }, () => other.next()), expected);
  assert.throws(() => other.restore([1, 2, 3]), RangeError);
});

test('shuffledIndices is a seeded permutation', () => {
  const p = shuffledIndices(50, createRng(3));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...shuffledIndices(50, createRng(3))], [...p]);
  assert.notDeepEqual([...p], Array.from({ length: 50 }, (_, i) => i));
});

test('shuffleInPlace puts each element in each position about equally often', () => {
  const rng = createRng(11);
  const counts = [0, 0, 0];
  for (let t = 0; t < 6000; t++) {
    const arr = shuffleInPlace([0, 1, 2], rng);
    counts[arr.indexOf(0)]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 2000) < 200, `position count ${c}`);
});
