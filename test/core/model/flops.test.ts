import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildModel } from '../../../src/core/model/build';
import { backwardFlopsFrom, forwardFlopsFrom, layerBackwardInFullStep, layerCosts } from '../../../src/core/model/flops';
import { freezableUnits, layerInfos } from '../../../src/core/model/units';
import { useBackend } from '../train/fixtures';

before(async () => {
  await useBackend();
});

describe('layerCosts', () => {
  it('counts dense layers: 2*in*out per matmul, backward = weight + input gradient', async () => {
    const m = await buildModel(
      { layers: [{ name: 'a', type: 'dense', units: 4 }, { type: 'dropout', rate: 0.1 }, { name: 'b', type: 'dense', units: 2 }] },
      { exampleShape: [3], inputDtype: 'float32', seed: 1 },
    );
    const [a, drop, b] = layerCosts(m);
    assert.equal(a.params, 3 * 4 + 4);
    assert.equal(a.forward, 2 * 3 * 4 + 2 * 4);
    assert.equal(a.backwardWeights, 2 * 3 * 4 + 4);
    assert.equal(drop.weighted, false);
    assert.equal(b.forward, 2 * 4 * 2 + 2 * 2);
    const costs = [a, drop, b];
    // Full step: the first weighted layer needs no input gradient.
    assert.equal(backwardFlopsFrom(costs, 0), a.backwardWeights + drop.backwardInput + b.backwardWeights + b.backwardInput);
    assert.equal(layerBackwardInFullStep(costs, 0), a.backwardWeights);
    // With `a` frozen, training starts at the dropout: `b` is now first and needs no input gradient.
    assert.equal(backwardFlopsFrom(costs, 1), b.backwardWeights);
    assert.equal(forwardFlopsFrom(costs, 2), b.forward);
  });

  it('counts conv2d as 2*kh*kw*cin per output value and exposes units and layer infos', async () => {
    const m = await buildModel(
      {
        layers: [
          { name: 'c', type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
          { type: 'maxPooling2d', poolSize: 2 },
          { type: 'flatten' },
          { name: 'out', type: 'dense', units: 2 },
        ],
      },
      { exampleShape: [6, 6, 2], inputDtype: 'float32', seed: 1 },
    );
    const costs = layerCosts(m);
    assert.equal(costs[0].forward, 2 * 3 * 3 * 2 * (4 * 4 * 3) + 2 * (4 * 4 * 3));
    assert.equal(costs[0].params, 3 * 3 * 2 * 3 + 3);
    const units = freezableUnits(m, costs);
    assert.deepEqual(units.map((u) => [u.name, u.index, u.layerIndex]), [['c', 0, 0], ['out', 1, 3]]);
    assert.deepEqual(units[0].kernel.shape, [3, 3, 2, 3]);
    assert.deepEqual(layerInfos(costs, units).map((l) => l.unit), [0, -1, -1, 1]);
  });

  it('gives the transformer block most of a text model\'s cost', async () => {
    const m = await buildModel(
      {
        layers: [
          { type: 'embedding', inputDim: 50, outputDim: 16 },
          { type: 'transformerEncoder', numHeads: 2, ffDim: 32 },
          { type: 'globalAveragePooling1d' },
          { type: 'dense', units: 2 },
        ],
      },
      { exampleShape: [10], inputDtype: 'int32', seed: 1 },
    );
    const costs = layerCosts(m);
    assert.equal(costs[0].backwardInput, 0);
    assert.equal(costs[1].params, 4 * (16 * 16 + 16) + 2 * 16 * 32 + 32 + 16 + 4 * 16);
    assert.ok(costs[1].forward > 0.8 * forwardFlopsFrom(costs, 0));
    const units = freezableUnits(m, costs);
    assert.deepEqual(units[1].kernel.shape, [16, 32]);
  });
});
