import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWorker, isWorkerToHost } from '../../src/runner/protocol';

test('the envelope of every message is validated', () => {
  assert.ok(!isHostToWorker({ type: 'rm -rf' }));
  assert.ok(!isHostToWorker(null));
  assert.ok(!isHostToWorker([{ type: 'cancelJob', id: 1 }]));
  // Runs take no messages: a run's process is detached and reports through the run store.
  assert.ok(!isHostToWorker({ type: 'start', request: { experimentFile: '/a.experiment.json' } }));
  assert.ok(!isHostToWorker({ type: 'cancel' }));
  assert.ok(isWorkerToHost({ type: 'log', level: 'warn', message: 'x' }));
  assert.ok(!isWorkerToHost({ type: 'log', level: 'debug', message: 'x' }));
  assert.ok(!isWorkerToHost({ type: 'event', event: { type: 'epoch' } }));
  assert.ok(!isWorkerToHost('log'));
});

test('interactive job messages: the envelope is checked here, the request by the worker', async () => {
  assert.ok(isHostToWorker({ type: 'job', id: 1, job: { kind: 'extract' } }));
  assert.ok(isHostToWorker({ type: 'cancelJob', id: 1 }));
  assert.ok(!isHostToWorker({ type: 'job', id: '1', job: {} }));
  assert.ok(!isHostToWorker({ type: 'job', id: 1 }));
  assert.ok(!isHostToWorker({ type: 'cancelJob' }));
  assert.ok(isWorkerToHost({ type: 'jobProgress', id: 1, progress: { message: '3 characters received' } }));
  assert.ok(isWorkerToHost({ type: 'jobResult', id: 1, result: { entities: [] } }));
  assert.ok(isWorkerToHost({ type: 'jobError', id: 1, error: { message: 'bad', user: true }, cancelled: false }));
  assert.ok(!isWorkerToHost({ type: 'jobResult', id: 1 }));
  assert.ok(!isWorkerToHost({ type: 'jobError', id: 1, error: { message: 'bad' } }));
  assert.ok(!isWorkerToHost({ type: 'jobProgress', id: 1, progress: 0.5 }));

  const { isJobRequest } = await import('../../src/runner/jobProtocol');
  const rewards = { file: '/a.rewards.json', text: '{}', settings: { canon: 'val', norm: 'none', metric: 'weighted_2' } };
  assert.ok(isJobRequest({ kind: 'rewards-matrix', ...rewards }));
  assert.ok(isJobRequest({ kind: 'rewards-difference', ...rewards, row: 0, col: 3 }));
  assert.ok(!isJobRequest({ kind: 'rewards-difference', ...rewards, row: -1, col: 3 }));
  assert.ok(!isJobRequest({ kind: 'rewards-matrix', ...rewards, settings: { canon: 'val', norm: '2', metric: 'none' } }));
  assert.ok(isJobRequest({ kind: 'extract', text: 'x', schema: { name: 's', entities: [], relations: [], events: [] }, provider: { kind: 'builtin' } }));
  assert.ok(!isJobRequest({ kind: 'extract', text: 'x', schema: {}, provider: { kind: 'builtin' } }));
  assert.ok(!isJobRequest({ kind: 'train' }));
  assert.ok(isJobRequest({ kind: 'prove', runDir: '/runs/a', min: 0.85 }));
  assert.ok(!isJobRequest({ kind: 'prove', runDir: '/runs/a', min: 1.5 }));
  assert.ok(!isJobRequest({ kind: 'prove', runDir: '/runs/a', min: '0.85' }));
  assert.ok(!isJobRequest({ kind: 'prove', min: 0.85 }));
});
