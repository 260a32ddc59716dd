import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEntry } from '../../../src/runner/runCatalog';
import { cellText, filterRows, runsTableModel, selectionDiff, sortRows, visibleRange } from '../../../src/panels/runsTable/viewModel';
import { isHostToWebview, isRunsTableState, isWebviewToHost, MAX_COMPARE } from '../../../src/panels/runsTable/messages';

const entry = (i: number, over: Partial<RunEntry> = {}): RunEntry => ({
  runId: `run-${i}`, experiment: 'digits-mlp', experimentFile: '/w/d.experiment.json', kind: 'train', status: 'completed', policy: 'none',
  params: { kind: 'train', name: 'digits-mlp', 'training.epochs': 5, 'training.batchSize': 32, 'freezing.policy': 'none', 'model.inputShape': [64] },
  metrics: { accuracy: 0.9, loss: 0.3 }, tags: [], note: '', runDir: `/w/.model-lab/runs/run-${i}`, startedAt: `2026-11-0${i}T08:00:00Z`, durationSeconds: 20,
  ...over,
});

const entries = [
  entry(1),
  entry(2, { policy: 'smartfrz', params: { ...entry(2).params, 'freezing.policy': 'smartfrz', 'training.batchSize': 64 }, metrics: { accuracy: 0.95, loss: 0.2 }, tags: ['baseline'], name: 'best' }),
  entry(3, { status: 'failed', params: { ...entry(3).params, 'training.batchSize': 128, 'freezing.prefix': 1 }, metrics: {}, durationSeconds: undefined }),
];

test('columns: the fixed ones, one per differing hyperparameter (not kind/name/policy), one per metric', () => {
  const m = runsTableModel(entries);
  assert.deepEqual(m.columns.map((c) => c.id), [
    'status', 'run', 'experiment', 'kind', 'policy', 'param:training.batchSize', 'param:freezing.prefix', 'metric:accuracy', 'metric:loss', 'duration', 'started', 'tags', 'note',
  ]);
  assert.equal(m.columns.find((c) => c.id === 'param:training.batchSize')?.numeric, true);
  // Rows carry only the differing fields (freezing.policy too: the selection diff shows it).
  assert.deepEqual(m.rows[1].params, { 'training.batchSize': 64, 'freezing.policy': 'smartfrz' });
  assert.deepEqual(m.rows[2].params, { 'training.batchSize': 128, 'freezing.policy': 'none', 'freezing.prefix': 1 });
  const byId = (id: string) => m.columns.find((c) => c.id === id)!;
  assert.equal(cellText(m.rows[1], byId('metric:accuracy')), '95.00%');
  assert.equal(cellText(m.rows[1], byId('metric:loss')), '0.2000');
  assert.equal(cellText(m.rows[1], byId('run')), 'best');
  assert.equal(cellText(m.rows[0], byId('run')), 'run-1');
  assert.equal(cellText(m.rows[0], byId('duration')), '20 s');
  assert.equal(cellText(m.rows[2], byId('metric:accuracy')), '');
});

test('sort: numbers by value, either direction, empty cells last', () => {
  const m = runsTableModel(entries);
  const ids = (rows: { runId: string }[]) => rows.map((r) => r.runId);
  assert.deepEqual(ids(sortRows(m.rows, { column: 'metric:accuracy', descending: true })), ['run-2', 'run-1', 'run-3']);
  assert.deepEqual(ids(sortRows(m.rows, { column: 'metric:accuracy', descending: false })), ['run-1', 'run-2', 'run-3']);
  assert.deepEqual(ids(sortRows(m.rows, { column: 'param:training.batchSize', descending: true })), ['run-3', 'run-2', 'run-1']);
  assert.deepEqual(ids(sortRows(m.rows, { column: 'started', descending: false })), ['run-1', 'run-2', 'run-3']);
  assert.deepEqual(ids(sortRows(m.rows, { column: 'run', descending: false })), ['run-2', 'run-1', 'run-3'], '"best" before "run-1"');
});

test('filter: free text, column:text, numeric comparisons (percent too), all terms must match', () => {
  const m = runsTableModel(entries);
  const ids = (q: string) => filterRows(m.rows, m.columns, q).map((r) => r.runId);
  assert.deepEqual(ids(''), ['run-1', 'run-2', 'run-3']);
  assert.deepEqual(ids('smartfrz'), ['run-2']);
  assert.deepEqual(ids('policy:none'), ['run-1', 'run-3']);
  assert.deepEqual(ids('tags:baseline'), ['run-2']);
  assert.deepEqual(ids('accuracy>0.92'), ['run-2']);
  assert.deepEqual(ids('accuracy>=90%'), ['run-1', 'run-2']);
  assert.deepEqual(ids('batchSize>32 status:failed'), ['run-3'], 'a parameter by its last name; both terms');
  assert.deepEqual(ids('training.batchSize=64'), ['run-2']);
  assert.deepEqual(ids('nosuchthing'), []);
});

test('visibleRange draws the rows in view and a few either side', () => {
  assert.deepEqual(visibleRange(0, 260, 26, 500, 8), { first: 0, last: 18 });
  assert.deepEqual(visibleRange(26 * 100, 260, 26, 500, 8), { first: 92, last: 118 });
  assert.deepEqual(visibleRange(26 * 495, 260, 26, 500, 8), { first: 487, last: 500 });
  assert.deepEqual(visibleRange(0, 260, 26, 0, 8), { first: 0, last: 0 });
});

test('selectionDiff: only fields that differ among the selected runs', () => {
  const m = runsTableModel(entries);
  assert.deepEqual(selectionDiff([m.rows[0], m.rows[2]]), [
    { path: 'training.batchSize', values: [32, 128] },
    { path: 'freezing.prefix', values: [undefined, 1] },
  ]);
  assert.deepEqual(selectionDiff([m.rows[0]]), []);
});

test('messages: what each side accepts', () => {
  const model = runsTableModel(entries);
  assert.ok(isHostToWebview({ type: 'table', model }));
  assert.ok(isHostToWebview(JSON.parse(JSON.stringify({ type: 'table', model }))), 'after a JSON round trip');
  assert.ok(!isHostToWebview({ type: 'table', model: { columns: model.columns, rows: [{ ...model.rows[0], metrics: { accuracy: 'high' } }] } }));
  assert.ok(!isHostToWebview({ type: 'table', model: { columns: [{ id: 'x', label: 'x', group: 'evil', numeric: false }], rows: [] } }));
  assert.ok(isWebviewToHost({ type: 'compare', runDirs: ['/a', '/b'] }));
  assert.ok(!isWebviewToHost({ type: 'compare', runDirs: [] }));
  assert.ok(!isWebviewToHost({ type: 'compare', runDirs: Array.from({ length: MAX_COMPARE + 1 }, (_, i) => `/r${i}`) }));
  assert.ok(isWebviewToHost({ type: 'edit', runDir: '/a', field: 'tags' }));
  assert.ok(!isWebviewToHost({ type: 'edit', runDir: '/a', field: 'status' }));
  assert.ok(!isWebviewToHost({ type: 'reveal', runDir: '' }));
  assert.ok(isRunsTableState({ filter: 'x', selected: ['/a'], sort: { column: 'metric:accuracy', descending: true } }));
  assert.ok(!isRunsTableState({ filter: 'x', selected: [1] }));
});
