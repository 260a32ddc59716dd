import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flopsSavedOf, readCheckpoint, type TrainCheckpoint, writeCheckpoint } from '../../../src/core/train/checkpoint';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'model-lab-ckpt-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function checkpoint(epoch: number): TrainCheckpoint {
  return {
    epoch,
    globalStep: epoch * 10,
    modelWeights: [
      { shape: [2, 3], dtype: 'float32', data: Float32Array.from([1.5, -2, 3e-8, 4, 5, 6 + epoch]) },
      { shape: [1], dtype: 'int32', data: Int32Array.from([-7]) },
    ],
    optimizer: [
      { variable: -1, slot: 'iter', shape: [], dtype: 'int32', data: Int32Array.from([epoch * 10]) },
      { variable: 0, slot: 'm', shape: [3], dtype: 'float32', data: Float32Array.from([0.1, 0.2, 0.3]) },
    ],
    policy: 'autofreeze',
    policyState: { frozen: 1, prev: [1, 2] },
    frozenPrefix: 1,
    rngState: [1, 2, 3, 4],
    elapsedSeconds: 12.5,
    history: [],
    freezeEvents: [{ layer: 'fc1', epoch: 1, step: 10 }],
    flops: { examples: 100, fullForward: 10, fullBackward: 20, savedForward: 1, savedBackward: 5 },
  };
}

describe('writeCheckpoint / readCheckpoint', () => {
  it('returns undefined where no checkpoint was written', async () => {
    assert.equal(await readCheckpoint(dir), undefined);
  });

  it('round-trips every field, tensors bit-exact, and keeps only the newest tensors file', async () => {
    await writeCheckpoint(dir, checkpoint(1));
    await writeCheckpoint(dir, checkpoint(2));
    const back = await readCheckpoint(dir);
    assert.deepEqual(back, checkpoint(2));
    assert.ok(back!.modelWeights[0].data instanceof Float32Array);
    assert.ok(back!.modelWeights[1].data instanceof Int32Array);
    assert.deepEqual((await readdir(dir)).sort(), ['checkpoint-e2.bin', 'checkpoint.json']);
  });

  it('turns running totals into saved fractions', () => {
    assert.deepEqual(flopsSavedOf(checkpoint(1).flops), { forward: 0.1, backward: 0.25 });
    assert.deepEqual(flopsSavedOf({ examples: 0, fullForward: 0, fullBackward: 0, savedForward: 0, savedBackward: 0 }), { forward: 0, backward: 0 });
  });
});
