import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { isFixRegistered } from '../../../../src/core/tensor/wasm/kernelFix';
import { initWasmWithFixes } from '../backendComparison';

describe('wasm Identity fix (shared buffer)', () => {
  before(initWasmWithFixes);

  it('is registered in place of the stock kernel', () => {
    assert.ok(isFixRegistered('Identity'));
  });

  it('a clone keeps its values when the original is disposed or a variable is reassigned', () => {
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1, 2, 3]);
    const copy = tf.clone(x);
    x.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);

    const v = tf.tidy(() => tf.variable(tf.tensor1d([4, 5, 6])));
    const snapshot = tf.clone(v);
    tf.tidy(() => v.assign(tf.tensor1d([7, 8, 9])));
    assert.deepEqual(Array.from(snapshot.dataSync()), [4, 5, 6]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
    tf.dispose([copy, snapshot, v]);
    // The shared buffers are freed with their last reference.
    assert.equal(tf.memory().numDataBuffers, before);
  });

  it('shares the buffer instead of copying it', () => {
    const x = tf.zeros([1000]);
    const buffers = tf.memory().numDataBuffers;
    const copy = tf.clone(x);
    assert.equal(tf.memory().numDataBuffers, buffers, 'no new buffer for the clone');
    tf.dispose([x, copy]);
  });

  it('keeps strings working', () => {
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    assert.deepEqual(s.arraySync(), ['a', 'b']);
    s.dispose();
  });
});
