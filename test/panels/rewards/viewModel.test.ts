import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { DEFAULT_SETTINGS, isHostToWebview, type PanelTheme } from '../../../src/panels/rewards/messages';
import { differenceMessage, errorMessage, matrixMessage, normLabel, panelTitle, settingsLabel } from '../../../src/panels/rewards/viewModel';
import { toJobErrorInfo } from '../../../src/runner/errorInfo';
import { computation } from '../../vscode/rewards/computation';

const REPO = path.resolve(__dirname, '../../..');
const GRIDWORLD = path.join(REPO, 'examples/rewards/gridworld.rewards.json');
const WORKED = path.join(REPO, 'examples/rewards/worked-example.rewards.json');
const heat = { foreground: '#cccccc', low: '#3794ff', high: '#f14c4c', mid: '#1f1f1f' };
const theme: PanelTheme = { distance: { ...heat, low: '#262626', high: '#3070c0' }, difference: heat };

test('matrix and difference messages from a real computation are valid and compile', async () => {
  // vega-lite is ESM-only with top-level await: load it dynamically.
  const { compile } = await import('vega-lite');
  const c = computation();
  const settings = DEFAULT_SETTINGS;
  const m = await c.matrix({ file: GRIDWORLD, text: readFileSync(GRIDWORLD, 'utf8'), settings });
  const msg = matrixMessage(m, settings, 'gridworld.rewards.json', theme);
  assert.ok(isHostToWebview(msg));
  assert.deepEqual(msg.names, ['task', 'shaped', 'negated', 'corner']);
  assert.equal(msg.summary.states, 11);
  assert.equal(msg.summary.actions, 4);
  assert.deepEqual(msg.summary.trivial, []);
  const values = (msg.spec.data as { values: { value: number }[] }).values;
  assert.equal(values.length, 16);
  // Export CSV: the same distances, a row and a column per reward.
  const table = msg.csv.trimEnd().split('\r\n').map((l) => l.split(','));
  assert.deepEqual(table[0], ['reward', 'task', 'shaped', 'negated', 'corner']);
  assert.deepEqual(table.slice(1).map((r) => r[0]), ['task', 'shaped', 'negated', 'corner']);
  assert.deepEqual(table.slice(1).map((r) => r.slice(1).map(Number)), m.matrix.map((row) => [...row]));
  // The distance heatmap uses the distance colours and gets a frame.
  const vl = compile(msg.spec as never).spec;
  assert.ok(JSON.stringify(vl).includes('#3070c0'));
  assert.equal(((msg.spec.config as Record<string, Record<string, unknown>>).view).stroke, '#cccccc');

  const d = await c.difference({ file: GRIDWORLD, text: readFileSync(GRIDWORLD, 'utf8'), settings, row: 0, col: 2 });
  const dm = differenceMessage(d, m, settings, theme);
  assert.ok(isHostToWebview(dm));
  assert.equal(dm.title, 'task − negated');
  // task - (-task) = 2 s(task): the largest entry is twice the largest of s(task).
  const rows = (dm.spec.data as { values: { state: string; action: string; difference: number }[] }).values;
  assert.equal(rows.length, 11 * 4);
  assert.ok(rows.some((r) => r.state === '(3, 0) ■'), 'terminal cells are marked');
  assert.equal(dm.maxAbs, Math.max(...rows.map((r) => Math.abs(r.difference))));
  const csvRows = dm.csv.trimEnd().split('\r\n');
  assert.equal(csvRows[0], 'state,action,difference');
  assert.equal(csvRows.length, 1 + rows.length);
  assert.deepEqual(csvRows.slice(1).map((l) => Number(l.split(',').pop())), rows.map((r) => r.difference));
  // The diverging scale maps 0 to the middle colour exactly, also for a light theme's white
  // (Vega's default HCL interpolation gives rgb(255, 189, 133) there).
  const light: PanelTheme = { distance: theme.distance, difference: { foreground: '#3b3b3b', low: '#1a85ff', mid: '#ffffff', high: '#e51400' } };
  const vega = await import('vega');
  const view = new vega.View(vega.parse(compile(differenceMessage(d, m, settings, light).spec as never).spec), { renderer: 'none' });
  await view.runAsync();
  assert.equal(String(view.scale('color')(0)), 'rgb(255, 255, 255)');
  view.finalize();
});

test('a file without a gridworld labels states s0.. and actions a0..', async () => {
  const c = computation();
  const m = await c.matrix({ file: WORKED, text: readFileSync(WORKED, 'utf8'), settings: DEFAULT_SETTINGS });
  assert.equal(m.stateLabels[0], 's0');
  assert.equal(m.actionLabels[m.actions - 1], `a${m.actions - 1}`);
});

test('errors: a user error names the field and where; an internal error says so', async () => {
  const c = computation();
  const text = readFileSync(GRIDWORLD, 'utf8').replace('"discount": 0.9', '"discount": 1.5');
  const e = await c.matrix({ file: GRIDWORLD, text, settings: DEFAULT_SETTINGS }).catch((x: unknown) => x);
  const msg = errorMessage(toJobErrorInfo(e), 'examples/rewards/gridworld.rewards.json');
  const line = text.split('\n').findIndex((l) => l.includes('"discount": 1.5')) + 1;
  assert.match(msg.text, /^\/discount: /);
  assert.match(msg.where ?? '', new RegExp(`^examples/rewards/gridworld\\.rewards\\.json:${line}:\\d+$`));
  assert.ok(isHostToWebview(msg));
  assert.match(errorMessage(toJobErrorInfo(new TypeError('x is undefined'))).text, /^Internal error: x is undefined/);
});

test('labels', () => {
  assert.equal(settingsLabel({ canon: 'val', norm: 'weighted_inf', metric: '1' }), 'VAL · weighted L∞ / L1');
  assert.equal(normLabel('none'), 'none');
  assert.equal(panelTitle('gridworld.rewards.json'), 'Rewards: gridworld');
});
