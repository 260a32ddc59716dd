import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertOffTape, TrainingSession } from '../../../../src/core/train/loop';
import { useBackend } from '../fixtures';

before(useBackend);

it('passes outside a gradient step and throws, naming the work, inside one', () => {
  assertOffTape('a pass over the data');
  const session = new TrainingSession({ seed: 1 });
  const { w } = session.addVariables('p', { w: tf.scalar(2) }, { optimizer: { type: 'sgd', learningRate: 0.1 } });
  assert.throws(
    () => session.step('p', () => {
      assertOffTape('the teacher\'s logits of 67349 examples');
      return tf.square(w) as tf.Scalar;
    }),
    /the teacher's logits of 67349 examples must run outside a gradient step/,
  );
  assert.equal(w.dataSync()[0], 2, 'nothing was updated');
  // After the step (and in a `step` stage's body before session.step) the tape is off again.
  assertOffTape('a pass over the data');
  session.dispose();
});
