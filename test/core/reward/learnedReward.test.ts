import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../../src/core/errors';
import { encodeTransitions, loadRewardModel, scoreRewardModel } from '../../../src/core/reward/learnedReward';
import { parseRewardsText } from '../../../src/core/reward/rewardsFile';
import { starcDistance } from '../../../src/core/reward/starc';
import { saveModel } from '../../../src/core/model/io';
import { workedMdp } from './helpers';

/** A linear "reward model": r(s, a, s') = ws[s] + wa[a] + wn[s'] + b, exactly representable. */
function linearModel(ws: number[], wa: number[], wn: number[], b: number): tf.Sequential {
  const width = ws.length + wa.length + wn.length;
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [width] })] });
  model.setWeights([tf.tensor2d([...ws, ...wa, ...wn], [width, 1]), tf.tensor1d([b])]);
  return model;
}

test('one-hot encoding: [s | a | s\'] per transition in (s, a, s\') order', () => {
  const mdp = workedMdp();
  const x = encodeTransitions(mdp, 7, 1); // s=1, a=0, s'=1
  assert.deepEqual(Array.from(x), [0, 1, 0, 1, 0, 0, 1, 0]);
});

test('scoring a model gives the reward on every (s, a, s\'), in batches', async () => {
  const mdp = workedMdp();
  const model = linearModel([1, 2, 3], [10, 20], [0.5, 0.25, 0.125], -1);
  for (const batch of [4, 1000]) {
    const r = await scoreRewardModel(model, mdp, batch);
    for (let s = 0; s < 3; s++) for (let a = 0; a < 2; a++) for (let n = 0; n < 3; n++) {
      const expected = [1, 2, 3][s] + [10, 20][a] + [0.5, 0.25, 0.125][n] - 1;
      assert.ok(Math.abs(r[(s * 2 + a) * 3 + n] - expected) < 1e-5);
    }
  }
  // Doubling every weight doubles the reward: distance 0 after normalisation.
  const r = await scoreRewardModel(model, mdp);
  const scaled = await scoreRewardModel(linearModel([2, 4, 6], [20, 40], [1, 0.5, 0.25], -2), mdp);
  assert.ok(starcDistance(mdp, r, scaled, { canon: 'val', norm: '2', metric: '2' }) < 1e-6);
  model.dispose();
});

test('a saved model can be a reward in a rewards file; a wrong input width is a user error', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reward-model-'));
  try {
    const good = linearModel([1, 0, 0], [0, 1], [0, 0, 1], 0);
    await saveModel(good, path.join(dir, 'good'));
    const bad = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [5] })] });
    await saveModel(bad, path.join(dir, 'bad'));
    const text = (model: string) => `{"discount": 0.9,
      "transitions": [[[0.5,0.5,0],[0,0.2,0.8]],[[1,0,0],[0,0.3,0.7]],[[0.1,0.1,0.8],[0,0,1]]],
      "rewards": {"learned": {"model": "${model}"}}}`;
    const f = await parseRewardsText(text('good/model.json'), { baseDir: dir, loadModel: loadRewardModel });
    assert.equal(f.names[0], 'learned');
    assert.ok(Math.abs(f.rewards[0][(0 * 2 + 1) * 3 + 2] - 3) < 1e-6); // s0 + a1 + s'2
    await assert.rejects(parseRewardsText(text('bad/model.json'), { baseDir: dir, loadModel: loadRewardModel }), (e: unknown) => e instanceof UserError && e.pointer === '/rewards/learned/model' && /input must be \[batch, 8\]/.test(e.message));
    await assert.rejects(parseRewardsText(text('missing/model.json'), { baseDir: dir, loadModel: loadRewardModel }), (e: unknown) => e instanceof UserError && /cannot read saved model/.test(e.message));
    // Restricted Mode: the model file is not read, even a valid one; the field says why.
    await assert.rejects(parseRewardsText(text('good/model.json'), { baseDir: dir, models: 'refuse' }),
      (e: unknown) => e instanceof UserError && e.pointer === '/rewards/learned/model' && /not loaded in Restricted Mode/.test(e.message));
    good.dispose();
    bad.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
