import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunRecord } from '../../../src/runner/runStore';
import { bestRun, canResume, canResumeSweep, describeRun, describeSweep, experimentChildren, groupRuns, isSweepRunning, pointLabel, sweepDirOf, sweepTitle } from '../../../src/vscode/runs/runGroups';

function record(over: Partial<RunRecord>): RunRecord {
  return {
    runId: 'r', runDir: '/runs/r', experimentFile: '/ws/a.experiment.json', experiment: 'a', policy: 'smartfrz',
    status: 'completed', startedAt: '2026-11-27T06:00:00.000Z', epochsDone: 20, epochs: 20, ...over,
  };
}

test('runs are grouped per experiment file, newest first in and across groups', () => {
  const groups = groupRuns([
    record({ runId: '1', runDir: '/r/1', startedAt: '2026-11-27T06:00:00.000Z' }),
    record({ runId: '2', runDir: '/r/2', experimentFile: '/ws/b.experiment.json', experiment: 'b', startedAt: '2026-11-27T06:05:00.000Z' }),
    record({ runId: '3', runDir: '/r/3', startedAt: '2026-11-27T06:10:00.000Z' }),
    record({ runId: '3', runDir: '/r/3', startedAt: '2026-11-27T06:10:00.000Z' }),
  ]);
  assert.deepEqual(groups.map((g) => g.experiment), ['a', 'b']);
  assert.deepEqual(groups[0].runs.map((r) => r.runId), ['3', '1']);
});

test('descriptions show accuracy, time and age; live runs show their epoch', () => {
  const now = new Date('2026-11-27T06:03:00.000Z');
  assert.equal(describeRun(record({ accuracy: 0.9512, trainSeconds: 12.34 }), now), '95.1% · 12 s · 3 min ago');
  assert.equal(describeRun(record({ status: 'running', epochsDone: 4 }), now), 'epoch 5/20 · 3 min ago');
  assert.equal(describeRun(record({ status: 'interrupted', epochsDone: 4 }), now), 'interrupted · 3 min ago');
  assert.equal(describeRun(record({ status: 'running', epochsDone: 4, paused: true }), now), 'paused after epoch 4/20 · 3 min ago');
});

test('a failed run says why in its description', () => {
  const now = new Date('2026-11-27T06:03:00.000Z');
  const message = "inputShape is [60] but the data's examples have shape [64]";
  assert.equal(describeRun(record({ status: 'failed', epochsDone: 0, message }), now), `failed: ${message} · 3 min ago`);
  const long = describeRun(record({ status: 'failed', message: 'x'.repeat(200) }), now);
  assert.match(long, /^failed: x{79}… · 3 min ago$/);
});

test('runs of other kinds show their score and no epochs', () => {
  const now = new Date('2026-11-27T06:03:00.000Z');
  const extract = { kind: 'extract-train' as const, policy: 'extract-train', epochs: 1, epochsDone: 0 };
  assert.equal(describeRun(record({ ...extract, status: 'running' }), now), 'running · 3 min ago');
  assert.equal(describeRun(record({ ...extract, epochsDone: 1, score: { name: 'dev entity F1', value: 0.788 }, trainSeconds: 250 }), now), 'dev entity F1 78.8% · 4 min 10 s · 3 min ago');
  assert.ok(canResume(record({ ...extract, status: 'cancelled' })));
});

test('only stopped, unfinished runs can resume', () => {
  assert.ok(canResume(record({ status: 'interrupted', epochsDone: 3 })));
  assert.ok(canResume(record({ status: 'cancelled', epochsDone: 3 })));
  assert.ok(!canResume(record({ status: 'completed' })));
  assert.ok(!canResume(record({ status: 'failed', epochsDone: 3 })));
});

test('a sweep\'s runs are one child of their experiment, in point order, placed by their newest run', () => {
  const point = (index: number, over: Partial<RunRecord>) =>
    record({ runId: `s-p${index}`, runDir: `/r/s-p${index}`, sweep: { id: 's', index, count: 3, params: { '/training/optimizer/learningRate': 0.001 * (index + 1), '/freezing/policy': 'none' } }, ...over });
  const children = experimentChildren([
    record({ runId: 'old', runDir: '/r/old', startedAt: '2026-11-27T05:00:00.000Z' }),
    point(1, { startedAt: '2026-11-27T06:01:00.000Z', accuracy: 0.9 }),
    point(0, { startedAt: '2026-11-27T06:00:00.000Z', accuracy: 0.95 }),
    record({ runId: 'new', runDir: '/r/new', startedAt: '2026-11-27T07:00:00.000Z' }),
  ]);
  assert.deepEqual(children.map((c) => (c.kind === 'run' ? c.run.runId : `sweep ${c.sweep.sweepId}`)), ['new', 'sweep s', 'old']);
  const sweep = children[1].kind === 'sweep' ? children[1].sweep : assert.fail('a sweep');
  assert.deepEqual(sweep.runs.map((r) => r.sweep?.index), [0, 1]);
  // Two of three points have runs; the third is not started yet.
  assert.equal(describeSweep(sweep), '3 points · 2 completed · 1 queued · best 95.0%');
  assert.equal(bestRun(sweep)?.runId, 's-p0');
  assert.equal(pointLabel(sweep.runs[1].sweep?.params ?? {}), 'learningRate=0.002, policy=none');
  assert.equal(sweepTitle({ ...sweep, sweepId: '20261206-225006-digits-sweep-sweep-5abd' }), 'Sweep 2026-12-06 22:50:06');
  assert.equal(sweepDirOf(sweep), path.join('/r', 's'));
  // Waiting for its third point: running, nothing to resume.
  assert.ok(isSweepRunning(sweep) && !canResumeSweep(sweep));
  // Cancelled before the third point began: stopped, resumable.
  const stopped = { ...sweep, stopped: true };
  assert.equal(describeSweep(stopped), '3 points · 2 completed · 1 not started · best 95.0%');
  assert.ok(!isSweepRunning(stopped) && canResumeSweep(stopped));
  // A running point keeps it running however it was stopped; a cancelled point makes it resumable.
  assert.ok(isSweepRunning({ ...stopped, runs: [sweep.runs[0], { ...sweep.runs[1], status: 'running' }] }));
  const all = { ...sweep, count: 2 };
  assert.ok(!isSweepRunning(all) && !canResumeSweep(all), 'every point completed');
  assert.ok(canResumeSweep({ ...all, runs: [sweep.runs[0], { ...sweep.runs[1], status: 'cancelled' }] }));
});
