import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '../../../../src/core/errors';
import { buildModel } from '../../../../src/core/model/build';
import { planMlm } from '../../../../src/core/train/mlm/pretrain';
import { useBackend } from '../fixtures';

before(async () => {
  await useBackend();
});

const SETTINGS = { epochs: 1, batchSize: 2, learningRate: 0.001, maskProbability: 0.15, seed: 0 };

test('planMlm refuses an embedding without a [MASK] row: a UserError at its inputDim that says how many rows it needs; one row more plans', async () => {
  const encoder = await buildModel(
    { layers: [{ type: 'embedding', outputDim: 8, inputDim: 50 }, { type: 'transformerEncoder', numHeads: 2, ffDim: 16 }] },
    { exampleShape: [6], inputDtype: 'int32', seed: 1 },
  );
  const tokens = { x: new Int32Array(4 * 6).fill(3), count: 4 };
  try {
    assert.throws(
      () => planMlm(encoder, tokens, tokens, 6, 50, SETTINGS),
      (e) => isUserError(e) && e.pointer === '/model/layers/0/inputDim' && /vocabulary \(50 words\) for \[MASK\], and inputDim gives 50: set inputDim to at least 51/.test(e.message),
    );
    planMlm(encoder, tokens, tokens, 6, 49, SETTINGS).dispose();
  } finally {
    encoder.dispose();
  }
});
