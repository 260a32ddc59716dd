import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EpochOrder, type StageSpec, stageLength, stepContext, validateStages } from '../../../../src/core/train/loop/stages';

const step = () => {};

describe('stepContext', () => {
  const epochs: StageSpec = { name: 'e', epochs: 3, stepsPerEpoch: 4, step };
  const steps: StageSpec = { name: 's', steps: 10, step };

  it('counts epochs and steps within them', () => {
    const order = new EpochOrder(1);
    assert.equal(stageLength(epochs), 12);
    const at = (stageStep: number) => stepContext(epochs, { stageIndex: 1, stageStep, globalStep: 5 + stageStep }, order);
    assert.deepEqual([0, 3, 4, 11].map((k) => [at(k).epoch, at(k).stepInEpoch]), [[0, 0], [0, 3], [1, 0], [2, 3]]);
    assert.equal(at(4).globalStep, 9);
    const flat = stepContext(steps, { stageIndex: 0, stageStep: 7, globalStep: 7 }, order);
    assert.deepEqual([flat.epoch, flat.stepInEpoch], [0, 7]);
  });

  it('batches of an epoch are a permutation of the examples, different each epoch, the same for the same seed', () => {
    const n = 37;
    const batchesOf = (seed: number, epoch: number) => {
      const order = new EpochOrder(seed);
      const stage: StageSpec = { name: 'e', epochs: 3, stepsPerEpoch: 4, step };
      return Array.from({ length: 4 }, (_, k) => Array.from(stepContext(stage, { stageIndex: 0, stageStep: epoch * 4 + k, globalStep: 0 }, order).batch(n, 10)));
    };
    const e0 = batchesOf(7, 0);
    assert.deepEqual(e0.map((b) => b.length), [10, 10, 10, 7]);
    assert.deepEqual(e0.flat().sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    assert.notDeepEqual(batchesOf(7, 1), e0);
    assert.deepEqual(batchesOf(7, 0), e0, 'a pure function of seed, stage and epoch (what makes mid-epoch resume exact)');
    assert.notDeepEqual(batchesOf(8, 0), e0);
  });

  it('in a steps stage, a new permutation starts every ceil(n / batchSize) steps', () => {
    const order = new EpochOrder(3);
    const stage: StageSpec = { name: 's', steps: 100, step };
    const at = (k: number) => Array.from(stepContext(stage, { stageIndex: 0, stageStep: k, globalStep: k }, order).batch(9, 4));
    const first = [at(0), at(1), at(2)];
    assert.deepEqual(first.map((b) => b.length), [4, 4, 1]);
    assert.deepEqual(first.flat().sort((a, b) => a - b), Array.from({ length: 9 }, (_, i) => i));
    assert.deepEqual([at(3), at(4), at(5)].flat().sort((a, b) => a - b), Array.from({ length: 9 }, (_, i) => i));
    assert.notDeepEqual([at(3), at(4), at(5)], first);
    assert.throws(() => stepContext(stage, { stageIndex: 0, stageStep: 0, globalStep: 0 }, order).batch(0, 4), RangeError);
  });
});

describe('validateStages', () => {
  const groups = new Set(['g']);
  it('accepts both forms', () => {
    validateStages([{ name: 'a', steps: 1, trainable: 'g', loss: () => undefined as never }, { name: 'b', epochs: 1, stepsPerEpoch: 2, step }], groups);
  });
  it('names the stage and the problem', () => {
    assert.throws(() => validateStages([], groups), /at least one stage/);
    assert.throws(() => validateStages([{ name: 'a', steps: 1.5, step }], groups), /stage 'a': steps must be a positive integer, got 1.5/);
    assert.throws(() => validateStages([{ name: 'a', steps: 2, epochs: 1, stepsPerEpoch: 2, step }], groups), /not both/);
    assert.throws(() => validateStages([{ name: 'a', epochs: 1, stepsPerEpoch: 0, step }], groups), /epochs and stepsPerEpoch/);
    assert.throws(() => validateStages([{ name: 'a', steps: 1, trainable: ['g', 'h'], loss: () => undefined as never }], groups), /no trainable group 'h'/);
  });
});
