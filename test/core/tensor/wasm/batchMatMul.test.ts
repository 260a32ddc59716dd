import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm BatchMatMul fix', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('BatchMatMul'));
  });

  // [m,k] x [k,n] in every transposed form. The SIMD product works in 4 x 8 tiles over slices
  // of at most 256 along k and blocks of 128 rows (a transposed A is packed per block), so the
  // shapes cover partial tiles, several slices (k = 600: three of 200) and several row blocks.
  const cases: Array<{ label: string; a: number[]; b: number[]; tA: boolean; tB: boolean }> = [
    { label: 'plain', a: [7, 5], b: [5, 3], tA: false, tB: false },
    { label: 'transposeA', a: [5, 7], b: [5, 30], tA: true, tB: false },
    { label: 'transposeB', a: [30, 5], b: [3, 5], tA: false, tB: true },
    { label: 'both transposed', a: [30, 2], b: [3, 30], tA: true, tB: true },
    { label: 'one row, one column', a: [1, 9], b: [9, 1], tA: false, tB: false },
    { label: 'plain, three k-slices, partial tiles', a: [13, 600], b: [600, 21], tA: false, tB: false },
    { label: 'transposeA, two row blocks, k-slices', a: [300, 150], b: [300, 17], tA: true, tB: false },
    { label: 'transposeB, k-slices', a: [10, 520], b: [35, 520], tA: false, tB: true },
    { label: 'both transposed, large', a: [270, 133], b: [11, 270], tA: true, tB: true },
    { label: 'batched (attention scores q k^T)', a: [4, 6, 8], b: [4, 6, 8], tA: false, tB: true },
    { label: 'batched a, shared b (one tall product)', a: [3, 9, 40], b: [40, 12], tA: false, tB: false },
    { label: 'batched a transposed, shared b', a: [3, 40, 9], b: [1, 12, 40], tA: true, tB: true },
    { label: 'shared a, batched b', a: [9, 40], b: [4, 40, 12], tA: false, tB: false },
    { label: 'batched with broadcast, rank 4', a: [2, 1, 5, 6], b: [1, 3, 5, 4], tA: true, tB: false },
    { label: 'two-way batch broadcast (stock kernel)', a: [2, 1, 5, 6], b: [3, 4, 5], tA: true, tB: true },
    { label: 'empty inner dimension', a: [3, 0], b: [0, 4], tA: false, tB: false },
  ];
  for (const c of cases) {
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

  it('frees its scratch', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    for (const [sa, sb, tA, tB] of [[[6, 4], [5, 6], true, true], [[3, 40, 9], [3, 40, 9], true, false]] as const) {
      const a = values([...sa], 1);
      const b = values([...sb], 2);
      const ids = backend.numDataIds();
      const out = tf.matMul(a, b, tA, tB);
      assert.equal(backend.numDataIds(), ids + 1);
      tf.dispose([a, b, out]);
    }
  });
});
