import { test } from 'node:test';
import assert from 'node:assert/strict';
import { luFactor, luSolve, matVec, SingularMatrixError, solve } from '../../../src/core/reward/linalg';
import { createRng } from '../../../src/core/util/random';

test('solves a small system that needs pivoting', () => {
  // First pivot is 0: without row exchanges this fails.
  const a = Float64Array.from([0, 2, 1, 1, 1, 1, 2, 1, 0]);
  const x = solve(a, 3, [5, 6, 4]);
  const back = matVec(a, 3, 3, x);
  assert.deepEqual(Array.from(back).map((v) => Math.round(v * 1e12) / 1e12), [5, 6, 4]);
});

test('random 60x60 systems: residual near machine precision; one factorisation, many right-hand sides', () => {
  const rng = createRng(3);
  const n = 60;
  const a = Float64Array.from({ length: n * n }, () => rng.next() - 0.5);
  const f = luFactor(a, n);
  for (let k = 0; k < 5; k++) {
    const b = Float64Array.from({ length: n }, () => rng.next() * 10);
    const x = luSolve(f, b);
    const r = matVec(a, n, n, x);
    const err = Math.max(...r.map((v, i) => Math.abs(v - b[i])));
    assert.ok(err < 1e-10, `residual ${err}`);
  }
});

test('singular matrices are reported, not silently solved', () => {
  const a = Float64Array.from([1, 2, 2, 4]);
  assert.throws(() => luFactor(a, 2), SingularMatrixError);
  assert.throws(() => luFactor(new Float64Array(3), 2), RangeError);
});
