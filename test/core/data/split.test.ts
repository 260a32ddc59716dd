import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { gatherRows, holdOut } from '../../../src/core/data/split';
import { createRng } from '../../../src/core/util/random';

test('holdOut partitions 0..n-1 into sorted train and test lists of the right sizes', () => {
  for (const [n, f, nTest] of [[10, 0.2, 2], [7, 0.5, 4], [3, 0.01, 1], [3, 0.99, 2]] as const) {
    const { train, test: held } = holdOut(n, f, createRng(9));
    assert.equal(held.length, nTest);
    assert.equal(train.length, n - nTest);
    assert.deepEqual([...train, ...held].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    for (const part of [train, held]) for (let i = 1; i < part.length; i++) assert.ok(part[i - 1] < part[i]);
  }
  assert.deepEqual(holdOut(100, 0.3, createRng(1)).test, holdOut(100, 0.3, createRng(1)).test);
  assert.notDeepEqual(holdOut(100, 0.3, createRng(1)).test, holdOut(100, 0.3, createRng(2)).test);
});

test('holdOut rejects impossible splits with a UserError at /data/testSplit', () => {
  assert.throws(() => holdOut(1, 0.2, createRng(1)), (e: unknown) => e instanceof UserError && e.pointer === '/data/testSplit');
  assert.throws(() => holdOut(10, 1, createRng(1)), /testSplit must be between 0 and 1/);
});

test('gatherRows copies whole rows in the given order', () => {
  const x = Float32Array.from([0, 1, 10, 11, 20, 21]);
  assert.deepEqual([...gatherRows(x, 2, Int32Array.from([2, 0]))], [20, 21, 0, 1]);
  assert.ok(gatherRows(Int32Array.from([5, 6]), 1, Int32Array.from([1])) instanceof Int32Array);
});
