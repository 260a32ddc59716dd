import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PositionalEncoding, sinusoidalPositions } from '../../../src/core/model/positionalEncoding';
import { useBackend } from '../train/fixtures';

describe('PositionalEncoding', () => {
  before(useBackend);

  it('is the sinusoidal table of Vaswani et al.', () => {
    const t = sinusoidalPositions(3, 4);
    // Position 0: sin 0 = 0, cos 0 = 1 in alternating columns.
    assert.deepEqual(Array.from(t.slice(0, 4)), [0, 1, 0, 1]);
    // Position 2, columns 2/3: angle 2 / 10000^(2/4) = 0.02.
    assert.ok(Math.abs(t[2 * 4 + 2] - Math.sin(0.02)) < 1e-7);
    assert.ok(Math.abs(t[2 * 4 + 3] - Math.cos(0.02)) < 1e-7);
    assert.ok(Math.abs(t[1 * 4 + 0] - Math.sin(1)) < 1e-7);
  });

  it('adds the table to every example of the batch, so equal tokens at different positions differ', () => {
    const layer = new PositionalEncoding();
    const x = tf.ones([2, 3, 4]);
    const y = layer.apply(x) as tf.Tensor3D;
    const rows = y.arraySync();
    const table = sinusoidalPositions(3, 4);
    for (const example of rows) {
      example.forEach((row, p) => row.forEach((v, i) => assert.ok(Math.abs(v - (1 + table[p * 4 + i])) < 1e-6)));
    }
    assert.notDeepEqual(rows[0][0], rows[0][1]);
    tf.dispose([x, y]);
  });

  it('rejects inputs that are not sequences of vectors', () => {
    assert.throws(() => new PositionalEncoding().computeOutputShape([null, 8]), /\[batch, sequence, features\]/);
  });
});
