import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, isTimelineState, isWebviewToHost } from '../../../src/panels/timeline/messages';
import { timelineRunFromEvents } from '../../../src/panels/timeline/viewModel';
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
