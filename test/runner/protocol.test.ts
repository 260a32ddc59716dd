import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWorker, isWorkerToHost } from '../../src/runner/protocol';

test('host-to-worker messages are validated', () => {
  assert.ok(isHostToWorker({ type: 'start', request: { experimentFile: '/a.experiment.json' } }));
  assert.ok(isHostToWorker({ type: 'cancel' }));
  assert.ok(!isHostToWorker({ type: 'start' }));
  assert.ok(!isHostToWorker({ type: 'start', request: { experimentFile: 3 } }));
  assert.ok(!isHostToWorker({ type: 'rm -rf' }));
  assert.ok(!isHostToWorker(null));
  assert.ok(!isHostToWorker([{ type: 'cancel' }]));
});

test('worker-to-host messages are validated', () => {
  assert.ok(isWorkerToHost({ type: 'event', event: { type: 'epoch' } }));
  assert.ok(isWorkerToHost({ type: 'log', level: 'warn', message: 'x' }));
  assert.ok(isWorkerToHost({ type: 'result', summary: { status: 'completed' } }));
  assert.ok(isWorkerToHost({ type: 'error', error: { message: 'bad', user: true } }));
  assert.ok(!isWorkerToHost({ type: 'log', level: 'debug', message: 'x' }));
  assert.ok(!isWorkerToHost({ type: 'event', event: 'epoch' }));
  assert.ok(!isWorkerToHost({ type: 'result' }));
  assert.ok(!isWorkerToHost('event'));
});
