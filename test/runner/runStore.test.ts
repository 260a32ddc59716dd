import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { acquireRunLock } from '../../src/runner/runLock';
import * as store from '../../src/runner/runStore';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'ml-store-'));
}

const record = (runDir: string, over: Partial<store.RunRecord> = {}): store.RunRecord => ({
  runId: path.basename(runDir), runDir, experimentFile: '/x/a.experiment.json', experiment: 'a', policy: 'none',
  status: 'completed', startedAt: '2026-01-01T00:00:00.000Z', epochsDone: 1, epochs: 1, ...over,
});

test('a torn last line in events.jsonl is skipped, earlier events survive', async () => {
  const dir = tmp();
  await store.createRun(dir, record(dir), {});
  store.appendEvent(dir, { type: 'log', level: 'info', message: 'one' });
  store.appendEvent(dir, { type: 'checkpoint', epoch: 1, step: 10, path: 'checkpoint' });
  appendFileSync(path.join(dir, store.EVENTS_FILE), '{"type":"epoch","epo');
  const events = await store.readEvents(dir);
  assert.deepEqual(events.map((e) => e.type), ['log', 'checkpoint']);
});

test('a run marked running reads as running only while a live process holds its lock', async () => {
  const dir = tmp();
  await store.createRun(dir, record(dir, { status: 'running' }), {});
  assert.equal((await store.readRunRecord(dir))?.status, 'interrupted', 'no lock: its process was killed');
  const lock = acquireRunLock(dir);
  assert.equal((await store.readRunRecord(dir))?.status, 'running');
  lock.release();
  assert.equal((await store.readRunRecord(dir))?.status, 'interrupted');
});

test('a failed run keeps its error and ends its events with it', async () => {
  const dir = tmp();
  await store.createRun(dir, record(dir, { status: 'running' }), {});
  await store.recordFailure(dir, { message: 'inputShape is [60] but the data has [64]\nmore', user: true, pointer: '/model/inputShape', file: '/x/a.experiment.json', line: 7, column: 19 }, { epochsDone: 0 });
  const r = await store.readRunRecord(dir);
  assert.equal(r?.status, 'failed');
  assert.equal(r?.message, 'inputShape is [60] but the data has [64]');
  assert.deepEqual([r?.error?.pointer, r?.error?.line, r?.error?.column], ['/model/inputShape', 7, 19]);
  const end = (await store.readEvents(dir)).at(-1);
  assert.deepEqual(end && end.type === 'end' ? [end.status, end.message] : [], ['failed', 'inputShape is [60] but the data has [64]']);
});

test('a crafted run record\'s error is read as text with valid positions only', async () => {
  const dir = tmp();
  await store.createRun(dir, record(dir, { status: 'failed' }), {});
  writeFileSync(path.join(dir, store.RUN_FILE), JSON.stringify({ ...record(dir, { status: 'failed' }), error: { message: 5, user: 'yes', file: {}, line: '7', column: -1, pointer: '/a' } }));
  assert.deepEqual((await store.readRunRecord(dir))?.error, { message: 'the run failed', user: false, pointer: '/a', file: undefined, line: undefined, column: undefined });
});

test('listRuns returns runs newest first and ignores other folders', async () => {
  const root = tmp();
  for (const [id, startedAt] of [['a', '2026-01-01T00:00:00Z'], ['b', '2026-03-01T00:00:00Z'], ['c', '2026-02-01T00:00:00Z']]) {
    const dir = path.join(root, id);
    await store.createRun(dir, record(dir, { startedAt }), {});
  }
  writeFileSync(path.join(root, 'stray.txt'), 'x');
  assert.deepEqual((await store.listRuns(root)).map((r) => r.runId), ['b', 'c', 'a']);
  assert.deepEqual(await store.listRuns(path.join(root, 'missing')), []);
});

test('deleteRun refuses folders that are not runs', async () => {
  const dir = tmp();
  await assert.rejects(store.deleteRun(dir), /not a run folder/);
  await store.createRun(dir, record(dir), {});
  await store.deleteRun(dir);
  assert.equal(await store.readRunRecord(dir), undefined);
});

test('run ids sort by time and carry experiment and policy', () => {
  const a = store.newRunId('Digits MLP', 'smartfrz', new Date('2026-11-27T06:35:12Z'));
  assert.match(a, /^20261127-063512-digits-mlp-smartfrz-[0-9a-f]{4}$/);
  const b = store.newRunId('Digits MLP', 'smartfrz', new Date('2026-11-27T06:35:13Z'));
  assert.ok(a < b);
});
