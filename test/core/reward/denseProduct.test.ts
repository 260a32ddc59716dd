import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addProductABt } from '../../../src/core/reward/denseProduct';
import { createRng } from '../../../src/core/util/random';

/** out(i, j) += alpha * sum_k a(i, k) b(j, k) by the plain triple loop. */
function naive(rows: number, cols: number, depth: number, a: (i: number, k: number) => number, b: (j: number, k: number) => number, alpha: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let k = 0; k < depth; k++) s += a(i, k) * b(j, k);
      return alpha * s;
    }),
  );
}

test('addProductABt matches the triple loop for tile, remainder and cache-block sizes, offsets and strides', () => {
  const rng = createRng(3);
  for (const [rows, cols, depth] of [[1, 1, 1], [4, 2, 5], [7, 5, 9], [8, 4, 16], [9, 3, 2], [6, 71, 300]]) {
    const aStride = depth + 3;
    const bStride = depth + 1;
    const a = Float64Array.from({ length: 2 + rows * aStride }, () => rng.next() * 2 - 1);
    const b = Float64Array.from({ length: 5 + cols * bStride }, () => rng.next() * 2 - 1);
    const expected = naive(rows, cols, depth, (i, k) => a[2 + i * aStride + k], (j, k) => b[5 + j * bStride + k], 0.5);
    // Written transposed (out(i, j) at j*rows + i) on top of existing values, which must be kept.
    const out = new Float64Array(rows * cols).fill(1);
    addProductABt(rows, cols, depth, { data: a, offset: 2, rowStride: aStride }, { data: b, offset: 5, rowStride: bStride }, { data: out, offset: 0, rowStride: 1, colStride: rows }, 0.5);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) assert.ok(Math.abs(out[j * rows + i] - 1 - expected[i][j]) < 1e-13, `${rows}x${cols}x${depth} at (${i}, ${j})`);
    }
  }
});
