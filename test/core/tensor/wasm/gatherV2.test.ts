import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { assertWasmMatchesCpu, initWasmWithFixes, values } from '../backendComparison';

describe('wasm GatherV2 fix (block copies)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('GatherV2'));
  });

  const idx = (...v: number[]) => tf.tensor1d(v, 'int32');
  const cases: Array<{ label: string; run: () => tf.Tensor }> = [
    { label: 'a training batch: image rows, repeated and unordered indices', run: () => tf.gather(values([9, 4, 4, 1], 1), idx(8, 0, 3, 3, 7)) },
    { label: 'int32 labels', run: () => tf.gather(tf.tensor1d([5, 6, 7, 8], 'int32'), idx(3, 1, 1)) },
    { label: 'inner axis', run: () => tf.gather(values([3, 5, 2], 2), idx(4, 0, 2), 1) },
    { label: 'last axis, negative', run: () => tf.gather(values([3, 5], 3), idx(1, 4), -1) },
    { label: '2-D indices', run: () => tf.gather(values([6, 3], 4), tf.tensor2d([[0, 5], [2, 2]], [2, 2], 'int32')) },
    { label: 'no indices', run: () => tf.gather(values([6, 3], 4), tf.tensor1d([], 'int32')) },
    { label: 'batchDims 1 (stock)', run: () => tf.gather(values([2, 4, 3], 5), tf.tensor2d([[0, 3], [1, 1]], [2, 2], 'int32'), 1, 1) },
  ];
  for (const c of cases) {
    it(`matches cpu: ${c.label}`, async () => {
      await assertWasmMatchesCpu(c.run, 0, c.label);
    });
  }
});

describe('wasm GatherV2 fix when the output makes the heap grow', () => {
  before(initWasmWithFixes);

  it('still reads the right indices (views taken before a growth are detached)', () => {
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const rowLength = 1024;
    // An output larger than the whole current heap forces the allocator to grow it.
    const rows = Math.ceil((backend.wasm.HEAPU8.buffer.byteLength + (8 << 20)) / (rowLength * 4));
    const x = tf.tensor2d(Float32Array.from({ length: 2 * rowLength }, (_, k) => (k < rowLength ? 1 : 2)), [2, rowLength]);
    const indices = tf.tensor1d(Int32Array.from({ length: rows }, (_, k) => k % 2), 'int32');
    const heapBefore = backend.wasm.HEAPU8.buffer.byteLength;
    const out = tf.gather(x, indices);
    assert.ok(backend.wasm.HEAPU8.buffer.byteLength > heapBefore, 'the heap grew');
    const values = out.dataSync();
    for (const k of [0, 1, rows - 2, rows - 1]) {
      assert.equal(values[k * rowLength], k % 2 === 0 ? 1 : 2, `row ${k}`);
      assert.equal(values[k * rowLength + rowLength - 1], k % 2 === 0 ? 1 : 2, `row ${k}, last column`);
    }
    tf.dispose([x, indices, out]);
  });
});
