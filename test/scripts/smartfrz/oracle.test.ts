import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ScheduledPolicy } from '../../../scripts/smartfrz/oracle';

test('the oracle\'s schedule freezes unit k from the first step after epoch after[k]', () => {
  const p = new ScheduledPolicy([1, 3]);
  p.init([], { epochs: 4, stepsPerEpoch: 5, totalSteps: 20, batchSize: 8 });
  const prefix: number[] = [];
  for (let g = 0; g < 20; g++) {
    prefix.push(p.frozenPrefix());
    p.afterStep({ epoch: Math.floor(g / 5), stepInEpoch: g % 5, globalStep: g });
  }
  assert.deepEqual(prefix, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
  const resumed = new ScheduledPolicy([1, 3]);
  resumed.init([], { epochs: 4, stepsPerEpoch: 5, totalSteps: 20, batchSize: 8 });
  resumed.loadState(p.saveState());
  assert.equal(resumed.frozenPrefix(), 2);
});
