import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCommonWebviewToHost, isRunAction } from '../../../src/panels/shared/messages';

test('the messages every panel of run folders sends: ready, an error for the log, an export', () => {
  for (const m of [{ type: 'ready' }, { type: 'error', message: 'chart: boom' }, { type: 'export', format: 'csv', name: 'points', content: 'a,b\r\n' }]) {
    assert.ok(isCommonWebviewToHost(m), JSON.stringify(m));
  }
  for (const m of [
    { type: 'error' },
    { type: 'error', message: 'x'.repeat(10_001) },
    { type: 'export', format: 'png', name: 'chart', content: 'not a png' },
    { type: 'export', format: 'exe', name: 'x', content: '' },
    { type: 'cancelRun', runId: 'r' },
    { type: 'deleteEverything' },
  ]) {
    assert.ok(!isCommonWebviewToHost(m), JSON.stringify(m));
  }
});

test('a run action names its run by a non-empty id', () => {
  for (const type of ['cancelRun', 'openExperiment', 'revealRun']) {
    assert.ok(isRunAction({ type, runId: 'quick-digits-20261207' }), type);
    assert.ok(!isRunAction({ type }), `${type} without a run`);
    assert.ok(!isRunAction({ type, runId: '' }), `${type} with an empty id`);
    assert.ok(!isRunAction({ type, runId: 7 }), `${type} with a number`);
  }
  assert.ok(!isRunAction({ type: 'deleteRun', runId: 'r' }));
});
