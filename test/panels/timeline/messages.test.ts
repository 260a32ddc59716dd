import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, isTimelineState, isWebviewToHost } from '../../../src/panels/timeline/messages';
import { configDiffTable, MAX_REPORT_CLASSES, timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
import { classificationReport } from '../../../src/core/train/classificationReport';
import { digitsRunEvents } from '../../vscode/fixtures/runEvents';

test('host messages: a real timeline passes, also after a JSON round trip', () => {
  const run = timelineRunFromEvents({ runId: 'a', runDir: '/a' }, digitsRunEvents());
  const msg = { type: 'runs', title: 'digits-mlp', runs: [run] };
  assert.ok(isHostToWebview(msg));
  assert.ok(isHostToWebview(JSON.parse(JSON.stringify(msg))));
  assert.ok(isHostToWebview({ type: 'notice', level: 'warning', text: 'gone' }));
});

test('host messages: wrong shapes are rejected', () => {
  const run = timelineRunFromEvents({ runId: 'a', runDir: '/a' }, digitsRunEvents());
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, status: 'exploded' }] }));
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, layers: [{ name: 1 }] }] }));
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, currentStep: 'x' }] }));
  assert.ok(isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, classNames: ['setosa', 'versicolor'] }] }));
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs: [{ ...run, classNames: ['setosa', 2] }] }));
  assert.ok(!isHostToWebview({ type: 'notice', level: 'loud', text: 'x' }));
  assert.ok(!isHostToWebview(null));
  assert.ok(!isHostToWebview([]));
});

test('webview messages: known types with the right fields only', () => {
  assert.ok(isWebviewToHost({ type: 'ready' }));
  assert.ok(isWebviewToHost({ type: 'cancelRun', runId: 'r1' }));
  assert.ok(!isWebviewToHost({ type: 'cancelRun' }));
  assert.ok(!isWebviewToHost({ type: 'cancelRun', runId: '' }));
  assert.ok(!isWebviewToHost({ type: 'runCommand', command: 'workbench.action.terminal.new' }));
  assert.ok(!isWebviewToHost({ type: 'error', message: 'x'.repeat(20_000) }));
});

test('saved panel state: a bounded list of run folders', () => {
  assert.ok(isTimelineState({ runDirs: ['/a', '/b'] }));
  assert.ok(!isTimelineState({ runDirs: [1] }));
  assert.ok(!isTimelineState({ runDirs: Array(51).fill('/a') }));
  assert.ok(!isTimelineState(undefined));
});

test('a diverged run (NaN and infinite losses, null after JSON) passes and keeps its status and message', () => {
  const events = digitsRunEvents({ end: false, upTo: 30 });
  const step = Math.max(...events.map((e) => (e.type === 'step' ? e.step : 0)));
  events.push(
    { type: 'step', epoch: 1, step: step + 1, loss: Infinity, seconds: 1 },
    { type: 'step', epoch: 1, step: step + 2, loss: NaN, seconds: 1 },
    { type: 'end', status: 'diverged', epoch: 1, step: step + 2, trainSeconds: 1, message: `training diverged at epoch 2, step ${step + 2}: the training loss is NaN` },
  );
  // What the panel receives for a run read from events.jsonl, where NaN was written as null.
  const fromDisk = JSON.parse(JSON.stringify(events));
  for (const evs of [events, fromDisk]) {
    const run = timelineRunFromEvents({ runId: 'a', runDir: '/a' }, evs);
    assert.equal(run.status, 'diverged');
    assert.match(run.message ?? '', /diverged at epoch 2/);
    const runs = [run, timelineRunFromEvents({ runId: 'b', runDir: '/b' }, digitsRunEvents())];
    const msg: unknown = JSON.parse(JSON.stringify({ type: 'runs', title: 't', runs }));
    assert.ok(isHostToWebview(msg), 'the diverged run and the one compared beside it are shown');
    assert.deepEqual(run.lossPoints.slice(-2).map((p) => p.loss), [null, null]);
  }
});

test('a per-class report passes when its parts agree in size, and is rejected otherwise', () => {
  const run = timelineRunFromEvents({ runId: 'a', runDir: '/a' }, digitsRunEvents());
  const evaluation = classificationReport([0, 1, 2, 2], [0, 2, 2, 1], 3, ['a', 'b', 'c']);
  const msg = (e: unknown) => ({ type: 'runs', title: 't', runs: [{ ...run, evaluation: e }] });
  assert.ok(isHostToWebview(JSON.parse(JSON.stringify(msg(evaluation)))));
  assert.ok(!isHostToWebview(msg({ ...evaluation, confusionMatrix: evaluation.confusionMatrix.slice(1) })));
  assert.ok(!isHostToWebview(msg({ ...evaluation, confusionMatrix: [[1, 0, 0], [0, 1], [0, 0, 1]] })));
  assert.ok(!isHostToWebview(msg({ ...evaluation, perClass: evaluation.perClass.map((c) => ({ ...c, f1: 'high' })) })));
  assert.ok(!isHostToWebview(msg({ ...evaluation, classNames: [1, 2, 3] })));
  const big = classificationReport([0], [0], MAX_REPORT_CLASSES + 1);
  assert.ok(!isHostToWebview(msg(big)), 'bounded in size');
});

test('overlaid runs carry their configuration differences: one value per run, shown as text', () => {
  const run = timelineRunFromEvents({ runId: 'a', runDir: '/a' }, digitsRunEvents());
  const runs = [run, { ...run, runId: 'run-b', runDir: '/w/run-b' }];
  const configDiff = [{ path: 'training.optimizer.learningRate', values: [0.001, 0.01] }, { path: 'freezing.prefix', values: [null, 1] }];
  assert.ok(isHostToWebview({ type: 'runs', title: 't', runs, configDiff }));
  assert.ok(isHostToWebview(JSON.parse(JSON.stringify({ type: 'runs', title: 't', runs, configDiff }))));
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs, configDiff: [{ path: 'x', values: [1] }] }), 'one value per run');
  assert.ok(!isHostToWebview({ type: 'runs', title: 't', runs, configDiff: [{ path: 'x', values: [{}, 1] }] }));
  assert.deepEqual(configDiffTable(configDiff, ['none', 'smartfrz']), {
    header: ['field', 'none', 'smartfrz'],
    rows: [['training.optimizer.learningRate', '0.001', '0.01'], ['freezing.prefix', '—', '1']],
  });
});
