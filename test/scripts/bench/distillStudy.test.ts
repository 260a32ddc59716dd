import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RunEvent } from '../../../src/core/train/events';
import { runJob } from '../../../src/runner/runJob';
import { formatSpread, parseSeeds, spread, teacherFolder } from '../../../scripts/bench/distillStudy';

/** bench:distill's seeds, spread and teacher cache (scripts/bench/distillStudy.ts). */

test('--seeds: a count from --seed, or a list', () => {
  assert.deepEqual(parseSeeds('0', '1'), [0]);
  assert.deepEqual(parseSeeds('4', '3'), [4, 5, 6]);
  assert.deepEqual(parseSeeds('0', '0,1,2'), [0, 1, 2]);
  assert.deepEqual(parseSeeds('0', '7,3'), [7, 3]);
  assert.throws(() => parseSeeds('0', '0'), /--seeds must be a positive integer/);
  assert.throws(() => parseSeeds('-1', '2'), /--seed must be a non-negative integer/);
  assert.throws(() => parseSeeds('0', '1,1'), /twice/);
  assert.throws(() => parseSeeds('0', '1,x'), /each of --seeds/);
  assert.throws(() => parseSeeds('0', '1,'), /each of --seeds/);
});

test('spread: mean, sample standard deviation, range', () => {
  const s = spread([0.7, 0.8, 0.75]);
  assert.ok(Math.abs(s.mean - 0.75) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.05) < 1e-12);
  assert.equal(s.min, 0.7);
  assert.equal(s.max, 0.8);
  assert.equal(spread([0.5]).sd, 0);
  assert.throws(() => spread([]));
  assert.equal(formatSpread([0.7, 0.8, 0.75]), '75.00% ± 5.00 (70.00-80.00)');
  assert.equal(formatSpread([0.5]), '50.00%');
});

/** A tiny real teacher (the shipped 8x8 digits, 1 epoch) so the cache finds a real completed run. */
function digitsTeacher(epochs: number): object {
  return {
    kind: 'train', name: 'teacher',
    data: { format: 'csv', train: 'train.csv', test: 'test.csv', label: 'last', scale: 16 },
    model: { inputShape: [64], layers: [{ name: 'fc', type: 'dense', units: 16, activation: 'relu' }, { name: 'out', type: 'dense', units: 10, activation: 'softmax' }] },
    training: { epochs, batchSize: 64, seed: 1 },
    freezing: { policy: 'none' },
  };
}

test('--cache: a completed teacher run is found again for the same settings and data, never for changed ones', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ml-bench-cache-'));
  try {
    const rows = gunzipSync(readFileSync(path.join(__dirname, '../../../examples/digits/digits.csv.gz'))).toString('utf8').trim().split('\n');
    const files = {
      'train.csv': Buffer.from(rows.filter((_, i) => i % 5 !== 0).join('\n') + '\n'),
      'test.csv': Buffer.from(rows.filter((_, i) => i % 5 === 0).join('\n') + '\n'),
    };
    const first = await teacherFolder(root, 'study', digitsTeacher(1), files);
    assert.equal(first.model, undefined, 'nothing trained yet');
    assert.equal(path.dirname(path.dirname(first.file)), root);
    const events: RunEvent[] = [];
    const run = await runJob({ experimentFile: first.file }, { event: (e) => events.push(e), log: () => undefined }, () => false);
    assert.equal(run.status, 'completed');

    const again = await teacherFolder(root, 'study', digitsTeacher(1), files);
    assert.equal(again.file, first.file);
    assert.equal(again.model, path.join(run.runDir, 'model', 'model.json'));

    const otherSettings = await teacherFolder(root, 'study', digitsTeacher(2), files);
    assert.notEqual(path.dirname(otherSettings.file), path.dirname(first.file));
    assert.equal(otherSettings.model, undefined);

    const otherData = await teacherFolder(root, 'study', digitsTeacher(1), { ...files, 'test.csv': Buffer.from(rows.slice(0, 50).join('\n') + '\n') });
    assert.notEqual(path.dirname(otherData.file), path.dirname(first.file));
    assert.equal(otherData.model, undefined);

    // The first folder still holds its own data and still finds its run.
    assert.deepEqual(readFileSync(path.join(path.dirname(first.file), 'test.csv')), files['test.csv']);
    assert.equal((await teacherFolder(root, 'study', digitsTeacher(1), files)).model, again.model);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
