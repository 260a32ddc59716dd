import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample, MAX_REPORT_CLASSES, timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
import { classificationReport } from '../../../src/core/train/classificationReport';
import type { RunEvent } from '../../../src/core/train/events';
import { digitsRunEvents } from '../../vscode/fixtures/runEvents';

const ref = { runId: 'run-a', runDir: '/runs/run-a' };

test('a completed run: lanes freeze at the freeze events, weightless layers follow their unit', () => {
  const run = timelineRunFromEvents(ref, digitsRunEvents());
  assert.equal(run.status, 'completed');
  assert.equal(run.policy, 'smartfrz');
  assert.equal(run.totalSteps, 40);
  assert.equal(run.currentStep, 40);
  assert.equal(run.epochsDone, 4);
  const byName = Object.fromEntries(run.layers.map((l) => [l.name, l]));
  assert.equal(byName.fc1.frozenAtStep, 10);
  // For people, from 1: the freeze event's epoch index 1 is the second epoch.
  assert.equal(byName.fc1.frozenAtEpoch, 2);
  assert.equal(byName.fc1.backwardSaving, 0.48);
  assert.equal(byName.fc2.frozenAtStep, 20);
  assert.equal(byName.out.frozenAtStep, undefined);
  // dropout sits after fc1: it leaves the backward pass with fc1.
  assert.equal(byName.dropout_1.frozenAtStep, 10);
  assert.match(byName.dropout_1.reason ?? '', /fc1/);
  assert.equal(run.epochPoints.length, 4);
  assert.deepEqual(run.epochPoints.map((p) => p.epoch), [1, 2, 3, 4]);
  const epochEvents = digitsRunEvents().filter((e) => e.type === 'epoch');
  assert.deepEqual(run.epochPoints.map((p) => p.testAccuracy), epochEvents.map((e) => (e.type === 'epoch' ? e.testAccuracy : NaN)));
});

test('a live run mid-way is running and stops at the last event seen', () => {
  const events = digitsRunEvents({ end: false });
  const cut = events.findIndex((e) => e.type === 'epoch' && e.epoch === 1) + 1;
  const run = timelineRunFromEvents(ref, events.slice(0, cut));
  assert.equal(run.status, 'running');
  assert.equal(run.currentStep, 20);
  assert.equal(run.epochsDone, 2);
  assert.equal(run.layers.find((l) => l.name === 'fc1')?.frozenAtStep, 10);
  assert.equal(run.layers.find((l) => l.name === 'fc2')?.frozenAtStep, undefined);
});

test('a run without end event that the store says was killed is interrupted', () => {
  const run = timelineRunFromEvents(ref, digitsRunEvents({ end: false }), 'interrupted');
  assert.equal(run.status, 'interrupted');
  const ended = timelineRunFromEvents(ref, digitsRunEvents({ end: 'cancelled' }), 'running');
  assert.equal(ended.status, 'cancelled', 'an end event wins over a stale store status');
});

test('a resumed run keeps its history and does not double-count epochs', () => {
  const first = digitsRunEvents({ end: 'cancelled' }).filter((e) => !(e.type === 'epoch' && e.epoch > 1) && !(e.type === 'step' && e.step > 20));
  const resumedStart = { ...digitsRunEvents()[0], resumedFrom: { epoch: 2, step: 20 } } as const;
  const rest = digitsRunEvents().filter((e) => (e.type === 'epoch' && e.epoch >= 1) || e.type === 'end');
  const run = timelineRunFromEvents(ref, [...first, resumedStart, ...rest]);
  assert.equal(run.status, 'completed');
  assert.deepEqual(run.epochPoints.map((p) => p.epoch), [1, 2, 3, 4]);
  assert.equal(run.firstStep, 0);
  // While the resumed part is still going, the earlier `end` (cancelled) no longer applies.
  const going = timelineRunFromEvents(ref, [...first, resumedStart, ...rest.filter((e) => e.type !== 'end')], 'running');
  assert.equal(going.status, 'running');
  assert.equal(going.trainSeconds, undefined);
});

test('downsample keeps at most max points, including the last', () => {
  const pts = Array.from({ length: 1001 }, (_, i) => i);
  const d = downsample(pts, 100);
  assert.ok(d.length <= 101);
  assert.equal(d[0], 0);
  assert.equal(d[d.length - 1], 1000);
  assert.equal(downsample([1, 2], 100).length, 2);
});

test('text class labels of the data come with the run (index = class)', () => {
  const events = digitsRunEvents();
  assert.equal(timelineRunFromEvents(ref, events).classNames, undefined);
  const start = events[0];
  assert.equal(start.type, 'start');
  if (start.type === 'start') start.classNames = ['setosa', 'versicolor', 'virginica'];
  assert.deepEqual(timelineRunFromEvents(ref, events).classNames, ['setosa', 'versicolor', 'virginica']);
});

test('the final per-class report comes with a completed run; a resume clears it until the new one; too many classes are left to summary.json', () => {
  const report = classificationReport([0, 1, 1], [0, 1, 0], 2, ['no', 'yes']);
  const evaluation: RunEvent = { type: 'evaluation', split: 'test', ...report };
  const run = timelineRunFromEvents(ref, [...digitsRunEvents(), evaluation]);
  assert.deepEqual(run.evaluation, report);
  assert.equal(run.evaluationClasses, undefined);
  const resumedStart = { ...digitsRunEvents()[0], resumedFrom: { epoch: 4, step: 40 } } as RunEvent;
  const resumed = timelineRunFromEvents(ref, [...digitsRunEvents(), evaluation, resumedStart], 'running');
  assert.equal(resumed.evaluation, undefined);
  const many = MAX_REPORT_CLASSES + 1;
  const big: RunEvent = { type: 'evaluation', split: 'test', ...classificationReport([0], [0], many) };
  const large = timelineRunFromEvents(ref, [...digitsRunEvents(), big]);
  assert.equal(large.evaluation, undefined);
  assert.equal(large.evaluationClasses, many);
});
