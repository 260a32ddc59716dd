import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../../src/core/errors';
import type { OptimizerConfig } from '../../../src/core/experiment/types';
import { createOptimizer, optimizerSlots, optimizerWithSlots } from '../../../src/core/train/optimizer';
import { useBackend } from './fixtures';

before(async () => {
  await useBackend();
});

/** Gradient of step k for a variable of `n` values: deterministic, varying per step. */
const grad = (k: number, n: number, salt: number) => tf.tensor1d(Array.from({ length: n }, (_, i) => Math.sin(k * 1.3 + i + salt)));

describe('optimizerWithSlots', () => {
  for (const cfg of [{ type: 'adam' }, { type: 'momentum' }, { type: 'rmsprop', momentum: 0.5 }, { type: 'sgd' }] as OptimizerConfig[]) {
    it(`${cfg.type}: dropping a frozen variable keeps the others' trajectory bit-identical`, async () => {
      const init = [1, 2, 3];
      const a1 = tf.variable(tf.tensor1d(init));
      const b1 = tf.variable(tf.tensor1d(init));
      const a2 = tf.variable(tf.tensor1d(init));
      const b2 = tf.variable(tf.tensor1d(init));
      const ref = createOptimizer(cfg);
      let opt = createOptimizer(cfg);
      for (let k = 0; k < 5; k++) {
        ref.applyGradients([{ name: a1.name, tensor: grad(k, 3, 0) }, { name: b1.name, tensor: grad(k, 3, 7) }]);
        if (k < 3) {
          opt.applyGradients([{ name: a2.name, tensor: grad(k, 3, 0) }, { name: b2.name, tensor: grad(k, 3, 7) }]);
        } else {
          if (k === 3) {
            const slots = await optimizerSlots(opt, [a2, b2]);
            if (cfg.type !== 'sgd') assert.ok(slots.some((s) => s.variable === 0));
            const next = await optimizerWithSlots(cfg, slots, [a2, b2], [b2]);
            opt.dispose();
            opt = next;
            const kept = await optimizerSlots(opt, [a2, b2]);
            assert.ok(kept.every((s) => s.variable !== 0), 'the frozen variable has no slots');
          }
          opt.applyGradients([{ name: b2.name, tensor: grad(k, 3, 7) }]);
        }
      }
      assert.deepEqual(Array.from(b2.dataSync()), Array.from(b1.dataSync()));
      assert.notDeepEqual(Array.from(a2.dataSync()), Array.from(a1.dataSync()));
    });
  }

  it('rejects unknown optimizers and bad learning rates with the field', () => {
    assert.throws(() => createOptimizer({ type: 'adagrad' } as unknown as OptimizerConfig), (e: unknown) => e instanceof UserError && e.pointer === '/training/optimizer/type');
    assert.throws(() => createOptimizer({ type: 'sgd', learningRate: 0 }), (e: unknown) => e instanceof UserError && e.pointer === '/training/optimizer/learningRate');
  });
});
