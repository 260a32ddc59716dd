import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CANONICALIZATIONS } from '../../../src/core/reward/canonicalize';
import { NORMALIZATIONS, NORMS } from '../../../src/core/reward/norms';
import {
  CANON_OPTIONS,
  METRIC_OPTIONS,
  NORM_OPTIONS,
  isHostToWebview,
  isRewardsPanelState,
  isWebviewToHost,
  type PanelTheme,
} from '../../../src/panels/rewards/messages';

const heat = { foreground: '#cccccc', low: '#3794ff', high: '#f14c4c', mid: '#1f1f1f', font: '-apple-system, "Segoe WPC", sans-serif' };
const theme: PanelTheme = { distance: heat, difference: heat };
const settings = { canon: 'val', norm: '2', metric: '2' };

test('the pickers offer exactly what the core accepts', () => {
  assert.deepEqual([...CANON_OPTIONS].sort(), [...CANONICALIZATIONS].sort());
  assert.deepEqual([...NORM_OPTIONS].sort(), [...NORMALIZATIONS].sort());
  assert.deepEqual([...METRIC_OPTIONS].sort(), [...NORMS].sort());
});

test('webview -> host: valid messages pass', () => {
  assert.ok(isWebviewToHost({ type: 'ready', theme }));
  assert.ok(isWebviewToHost({ type: 'theme', theme }));
  assert.ok(isWebviewToHost({ type: 'settings', settings: { canon: 'dard', norm: 'weighted_inf', metric: 'weighted_1' } }));
  assert.ok(isWebviewToHost({ type: 'selectPair', row: 0, col: 3 }));
  assert.ok(isWebviewToHost({ type: 'openFile' }));
  assert.ok(isWebviewToHost({ type: 'error', message: 'boom' }));
});

test('webview -> host: malformed messages are rejected', () => {
  for (const m of [
    null, 'ready', [], { type: 'nope' },
    { type: 'ready' },
    { type: 'ready', theme: { distance: heat } },
    { type: 'theme', theme: { distance: heat, difference: { ...heat, low: 'red;}</style><script>' } } },
    { type: 'theme', theme: { distance: heat, difference: { ...heat, extra: '#fff' } } },
    { type: 'settings', settings: { ...settings, metric: 'none' } },
    { type: 'settings', settings: { ...settings, canon: 'VAL' } },
    { type: 'selectPair', row: -1, col: 0 },
    { type: 'selectPair', row: 0.5, col: 0 },
    { type: 'selectPair', row: '0', col: 0 },
    { type: 'error', message: 'x'.repeat(10_001) },
  ]) {
    assert.equal(isWebviewToHost(m), false, JSON.stringify(m));
  }
});

test('host -> webview: valid and malformed messages', () => {
  const summary = { fileName: 'a.rewards.json', states: 11, actions: 4, discount: 0.9, rewards: 2, trivial: [], seconds: 0.01 };
  assert.ok(isHostToWebview({ type: 'init', state: { file: 'file:///a.rewards.json', settings }, fileName: 'a.rewards.json' }));
  assert.ok(isHostToWebview({ type: 'busy', what: 'matrix', text: 'Computing…' }));
  assert.ok(isHostToWebview({ type: 'matrix', settings, names: ['a', 'b'], summary, spec: { mark: 'rect' }, csv: 'reward,a,b\r\n' }));
  assert.ok(isHostToWebview({ type: 'difference', row: 0, col: 1, title: 'a − b', maxAbs: 0.3, spec: {}, csv: '' }));
  assert.equal(isHostToWebview({ type: 'matrix', settings, names: ['a', 'b'], summary, spec: { mark: 'rect' } }), false, 'the data to export comes with the chart');
  assert.ok(isHostToWebview({ type: 'error', text: 'bad', where: 'a.rewards.json:3:5' }));
  assert.equal(isHostToWebview({ type: 'matrix', settings, names: ['a', 2], summary, spec: {}, csv: '' }), false);
  assert.equal(isHostToWebview({ type: 'matrix', settings, names: [], summary: { ...summary, seconds: 'fast' }, spec: {}, csv: '' }), false);
  assert.equal(isHostToWebview({ type: 'matrix', settings, names: [], summary, spec: 'x', csv: '' }), false);
  assert.equal(isHostToWebview({ type: 'difference', row: 0, col: 1, title: 't', maxAbs: NaN, spec: {}, csv: '' }), false);
  assert.equal(isHostToWebview({ type: 'busy', what: 'all', text: '' }), false);
});

test('panel state (restored by the serializer) needs a file and valid settings', () => {
  assert.ok(isRewardsPanelState({ file: 'file:///w/a.rewards.json', settings }));
  assert.equal(isRewardsPanelState({ file: '', settings }), false);
  assert.equal(isRewardsPanelState({ file: 'file:///a', settings: { ...settings, norm: 'L2' } }), false);
  assert.equal(isRewardsPanelState({ runDirs: [] }), false);
});
