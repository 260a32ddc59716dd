import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regretCorrelation } from '../../../src/core/reward/regretCorrelation';

test('small run: one row per canonicalisation x normalisation x metric, sorted, reproducible', async () => {
  const opts = { mdps: 3, pairs: 4, steps: 8, seed: 7, states: 12, actions: 3 };
  const progress: number[] = [];
  const a = await regretCorrelation({ ...opts, onProgress: (done) => progress.push(done) });
  assert.equal(a.samples, 96);
  assert.equal(a.cancelled, false);
  assert.equal(a.rows.length, 5 * 7 * 6);
  assert.equal(progress.at(-1), 96);
  for (let i = 1; i < a.rows.length; i++) assert.ok(!(a.rows[i].correlation > a.rows[i - 1].correlation));
  const b = await regretCorrelation(opts);
  assert.deepEqual(b.rows, a.rows);
  const pick = (canon: string) => a.rows.find((r) => r.canon === canon && r.norm === '2' && r.metric === '2')!.correlation;
  // The paper's qualitative finding, already visible at this size: VAL predicts regret better
  // than no canonicalisation, and every correlation is a proper number in [-1, 1].
  assert.ok(pick('val') > pick('none'), `val ${pick('val')} none ${pick('none')}`);
  assert.ok(a.rows.every((r) => r.correlation >= -1 && r.correlation <= 1));
});

test('an aborted signal stops early and reports the samples done', async () => {
  const controller = new AbortController();
  const r = await regretCorrelation({
    mdps: 50,
    pairs: 2,
    steps: 4,
    states: 8,
    actions: 2,
    signal: controller.signal,
    onProgress: (done) => {
      if (done >= 16) controller.abort();
    },
  });
  assert.equal(r.cancelled, true);
  assert.equal(r.samples, 16);
});
