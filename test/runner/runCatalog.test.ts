import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listRunEntries, runMetrics } from '../../src/runner/runCatalog';
import { META_FILE, parseTags, readRunMeta, updateRunMeta } from '../../src/runner/runMeta';
import { CONFIG_FILE, createRun, type RunRecord } from '../../src/runner/runStore';
import { writeSyntheticRuns } from './helpers/syntheticRuns';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ml-catalog-'));

test('listRunEntries: params from config.json, metrics from summary.json, meta, duration; damaged config gives empty params', async () => {
  const root = tmp();
  const dirs = await writeSyntheticRuns(root, 12);
  writeFileSync(path.join(dirs[3], CONFIG_FILE), '{"experiment": {');
  const entries = await listRunEntries(root);
  assert.equal(entries.length, 12);
  const byId = new Map(entries.map((e) => [e.runId, e]));
  const first = byId.get('run-0000-none')!;
  assert.equal(first.params['training.optimizer.learningRate'], 0.001);
  assert.equal(first.params['freezing.policy'], 'none');
  assert.deepEqual(Object.keys(first.metrics), ['accuracy', 'loss', 'savedBackward']);
  assert.deepEqual([first.name, first.tags, first.note], ['none lr 0.001', ['baseline', 'sweep'], 'run 0']);
  assert.ok(first.durationSeconds! > 20 && first.durationSeconds! < 21, String(first.durationSeconds));
  assert.deepEqual(byId.get('run-0003-autofreeze')!.params, {});
  assert.equal(byId.get('run-0001-static')!.name, undefined);
});

test('runMetrics: extraction scores by part; a run without a summary has its record\'s numbers', () => {
  const record = { runId: 'r', runDir: '/r', experimentFile: '/e', experiment: 'e', policy: 'extract-eval', status: 'completed', startedAt: '', epochsDone: 0, epochs: 0 } as RunRecord;
  const prf = (f1: number) => ({ precision: f1, recall: f1, f1, correct: 1, predicted: 1, gold: 1 });
  const m = runMetrics(record, { kind: 'extract-eval', status: 'completed', runId: 'r', experiment: 'e', experimentFile: '/e', runDir: '/r', provider: 'builtin', seconds: 1, scores: { entity: prf(0.8), relation: prf(0.5), ungrounded: 0, sentences: 3, perType: {} } } as never);
  assert.deepEqual(m, { 'entity.precision': 0.8, 'entity.recall': 0.8, 'entity.f1': 0.8, 'relation.precision': 0.5, 'relation.recall': 0.5, 'relation.f1': 0.5 });
  assert.deepEqual(runMetrics({ ...record, accuracy: 0.7 }, undefined), { accuracy: 0.7 });
  assert.deepEqual(runMetrics({ ...record, score: { name: 'entity F1', value: 0.6 } }, undefined), { 'entity F1': 0.6 });
});

test('run meta: tags normalised, limits refused, a damaged file reads as empty, only run folders', async () => {
  const root = tmp();
  const dir = path.join(root, 'r1');
  await createRun(dir, { runId: 'r1', runDir: dir, experimentFile: '/e', experiment: 'e', policy: 'none', status: 'completed', startedAt: '', epochsDone: 0, epochs: 0 }, {});
  assert.deepEqual(parseTags(' a, b ,, a,  long   tag '), ['a', 'b', 'long tag']);
  assert.deepEqual(await updateRunMeta(dir, { name: '  best  ', tags: ['x'] }), { name: 'best', tags: ['x'], note: undefined });
  assert.deepEqual(await updateRunMeta(dir, { note: 'kept the name' }), { name: 'best', tags: ['x'], note: 'kept the name' });
  assert.deepEqual(await updateRunMeta(dir, { name: '' }), { name: undefined, tags: ['x'], note: 'kept the name' });
  await assert.rejects(updateRunMeta(dir, { name: 'n'.repeat(201) }), /at most 200/);
  await assert.rejects(updateRunMeta(dir, { tags: ['t'.repeat(65)] }), /at most 64/);
  await assert.rejects(updateRunMeta(root, { name: 'x' }), /not a run folder/);
  writeFileSync(path.join(dir, META_FILE), '{"name": 5, "tags": "x", "note": ["a"]}');
  assert.deepEqual(await readRunMeta(dir), { name: undefined, tags: [], note: undefined });
  writeFileSync(path.join(dir, META_FILE), '{torn');
  assert.deepEqual(await readRunMeta(dir), { tags: [] });
});
