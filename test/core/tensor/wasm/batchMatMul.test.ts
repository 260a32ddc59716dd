import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MIN_MACS_TO_SPLIT_BATCH } from '../../../../src/core/tensor/wasm/batchMatMul';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm BatchMatMul fix', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('BatchMatMul'));
  });

  // [m,k] x [k,n] in every transposed form; the shapes are chosen so that both strategies run:
  // transposing the flagged operand (small operand flagged) and computing the product
  // transposed (large operand flagged, small other operand and output).
  const cases: Array<{ label: string; a: number[]; b: number[]; tA: boolean; tB: boolean }> = [
    { label: 'plain', a: [7, 5], b: [5, 3], tA: false, tB: false },
    { label: 'transposeA, A small', a: [5, 7], b: [5, 30], tA: true, tB: false },
    { label: 'transposeA, A large', a: [40, 30], b: [40, 2], tA: true, tB: false },
    { label: 'transposeB, B small', a: [30, 5], b: [3, 5], tA: false, tB: true },
    { label: 'transposeB, B large (dense input gradient shape)', a: [16, 32], b: [60, 32], tA: false, tB: true },
    { label: 'both transposed, small output', a: [30, 2], b: [3, 30], tA: true, tB: true },
    { label: 'both transposed, large output', a: [3, 20], b: [30, 3], tA: true, tB: true },
    { label: 'batched (attention scores q k^T)', a: [4, 6, 8], b: [4, 6, 8], tA: false, tB: true },
    { label: 'batched with broadcast, rank 4', a: [2, 1, 5, 6], b: [3, 4, 5], tA: true, tB: true },
    { label: 'batched transposeA with broadcast', a: [1, 9, 4], b: [3, 9, 2], tA: true, tB: false },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(() => tf.matMul(values(c.a, 1), values(c.b, 2), c.tA, c.tB), 1e-5, c.label);
    });
  }

  // Batched products above MIN_MACS_TO_SPLIT_BATCH run as one product per matrix.
  const big = Math.ceil(Math.cbrt(MIN_MACS_TO_SPLIT_BATCH)) + 1;
  const split: Array<{ label: string; a: number[]; b: number[]; tA: boolean; tB: boolean }> = [
    { label: 'split batch, plain', a: [3, big, big], b: [3, big, big + 1], tA: false, tB: false },
    { label: 'split batch, transposeA', a: [3, big + 2, big], b: [3, big + 2, big], tA: true, tB: false },
    { label: 'split batch, transposeB, rank 4', a: [2, 2, big, big + 1], b: [2, 2, big, big + 1], tA: false, tB: true },
    { label: 'split batch, both transposed', a: [2, big, big], b: [2, big + 3, big], tA: true, tB: true },
    { label: 'batched a, shared b (one 2-D product)', a: [3, big, big], b: [big, big + 2], tA: false, tB: false },
    { label: 'batched a transposed, shared b', a: [3, big, big], b: [1, big, big], tA: true, tB: true },
    { label: 'shared a, batched b', a: [big, big], b: [4, big, big], tA: false, tB: true },
  ];
  for (const c of split) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(() => tf.matMul(values(c.a, 1), values(c.b, 2), c.tA, c.tB), 1e-5, c.label);
    });
  }

  it('matches cpu on the MLP backward shapes (784-512 at batch 128)', async () => {
    const x = () => values([128, 784], 3);
    const w = () => values([784, 512], 4);
    const dy = () => values([128, 512], 5);
    await assertWasmMatchesCpu(() => tf.matMul(dy(), w(), false, true), 1e-5, 'dx = dy W^T');
    await assertWasmMatchesCpu(() => tf.matMul(x(), dy(), true, false), 1e-5, 'dW = x^T dy');
  });

  it('frees its intermediate transposes', async () => {
    await tf.setBackend('wasm');
    const a = values([6, 4], 1);
    const b = values([5, 6], 2);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const out = tf.matMul(a, b, true, true);
    assert.equal(backend.numDataIds(), ids + 1);
    const big = Math.ceil(Math.cbrt(MIN_MACS_TO_SPLIT_BATCH)) + 1;
    const x = values([3, big, big], 3);
    const y = values([3, big, big], 4);
    const before = backend.numDataIds();
    const batched = tf.matMul(x, y, true, false);
    assert.equal(backend.numDataIds(), before + 1);
    tf.dispose([a, b, out, x, y, batched]);
  });
});
