import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEntry } from '../../../src/runner/runCatalog';
import { cellText, filterRows, runsTableModel, selectionDiff, sortRows, tableCells, tableRecords, visibleColumns, visibleRange } from '../../../src/panels/runsTable/viewModel';
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

const withProvenance = [
  entry(1, { provenance: { 'git.commit': 'a'.repeat(40), 'git.dirty': false, modelLab: '0.1.0', node: 'v22.11.0', tfjs: '4.22.0', backend: 'wasm', platform: 'linux-x64', 'data.sha256': 'c'.repeat(64), 'data[/data/train]': 'c'.repeat(64) } }),
  entry(2, { provenance: { 'git.commit': 'b'.repeat(40), 'git.dirty': true, modelLab: '0.1.0', node: 'v22.11.0', tfjs: '4.22.0', backend: 'wasm', 'data.sha256': 'd'.repeat(64) }, proven: 0.85, tags: ['baseline'] }),
  entry(3),
];

test('provenance columns: hidden until chosen, short commit and data hash, dirty/clean; a Proven column once a run has a proof', () => {
  const m = runsTableModel(withProvenance);
  const prov = m.columns.filter((c) => c.group === 'provenance');
  assert.deepEqual(prov.map((c) => c.label), ['Git commit', 'Git dirty', 'Model Lab', 'Node', 'TF.js', 'Backend', 'Data hash']);
  assert.ok(prov.every((c) => c.hidden));
  assert.ok(m.columns.some((c) => c.id === 'proven' && !c.hidden));
  assert.ok(!runsTableModel(entries).columns.some((c) => c.id === 'proven' || c.group === 'provenance'), 'no proofs, no provenance: no such columns');
  const byId = (id: string) => m.columns.find((c) => c.id === id)!;
  assert.equal(cellText(m.rows[0], byId('prov:git.commit')), 'aaaaaaaa');
  assert.equal(cellText(m.rows[1], byId('prov:git.dirty')), 'dirty');
  assert.equal(cellText(m.rows[0], byId('prov:git.dirty')), 'clean');
  assert.equal(cellText(m.rows[0], byId('prov:data.sha256')), 'cccccccccccc');
  assert.equal(cellText(m.rows[2], byId('prov:backend')), '');
  assert.equal(cellText(m.rows[1], byId('proven')), 'proven ≥ 0.85');
  assert.deepEqual(Object.keys(m.rows[0].provenance), ['git.commit', 'git.dirty', 'modelLab', 'node', 'tfjs', 'backend', 'data.sha256'], 'only the fields with columns');

  // Shown: the defaults, less what the user hid, plus what the user chose.
  const shown = visibleColumns(m.columns, { 'prov:git.commit': true, note: false });
  assert.ok(shown.some((c) => c.id === 'prov:git.commit') && !shown.some((c) => c.id === 'prov:node') && !shown.some((c) => c.id === 'note'));
  // Column terms reach hidden columns (by field name); free text only the shown ones.
  const ids = (q: string, cols = m.columns) => filterRows(m.rows, m.columns, q, cols).map((r) => r.runId);
  assert.deepEqual(ids('git.dirty:true'), ['run-2']);
  assert.deepEqual(ids('backend:wasm'), ['run-1', 'run-2']);
  assert.deepEqual(ids('proven>=0.8'), ['run-2']);
  assert.deepEqual(ids('aaaaaaaa', visibleColumns(m.columns)), [], 'hidden commit column: not searched as free text');
  assert.deepEqual(ids('aaaaaaaa', shown), ['run-1']);
  assert.deepEqual(sortRows(m.rows, { column: 'proven', descending: true }).map((r) => r.runId), ['run-2', 'run-1', 'run-3']);

  // The selection's diff: configuration, then provenance (only what differs).
  assert.deepEqual(selectionDiff([m.rows[0], m.rows[1]]).map((d) => [d.path, d.provenance ?? false]), [
    ['provenance: Git commit', true], ['provenance: Git dirty', true], ['provenance: Data hash', true],
  ]);
  assert.deepEqual(selectionDiff([m.rows[0], m.rows[1]])[0].values, ['aaaaaaaa', 'bbbbbbbb'], 'as the columns show them');
});

test('export: the rows and columns shown, as text (CSV cells) and as data (JSON records)', () => {
  const m = runsTableModel(withProvenance);
  const cols = visibleColumns(m.columns, { 'prov:git.commit': true, note: false });
  const { header, cells } = tableCells(m.rows.slice(0, 2), cols);
  assert.deepEqual(header, cols.map((c) => c.label));
  assert.ok(header.includes('Git commit') && header.includes('Proven') && !header.includes('Note') && !header.includes('Node'));
  assert.equal(cells[1][header.indexOf('Proven')], 'proven ≥ 0.85');
  assert.equal(cells[0][header.indexOf('accuracy')], '90.00%');
  const records = tableRecords(m.rows.slice(0, 2), cols);
  assert.equal(records[0].runDir, '/w/.model-lab/runs/run-1');
  assert.equal(records[0].accuracy, 0.9, 'numbers as numbers');
  assert.equal(records[0]['Git commit'], 'a'.repeat(40), 'full hashes');
  assert.equal(records[1].Proven, 0.85);
  assert.ok(!('Proven' in records[0]) && !('Tags' in records[0]), 'empty cells left out');
  assert.deepEqual(records[1].Tags, ['baseline']);
  assert.ok(isWebviewToHost({ type: 'export', format: 'json', name: 'runs', content: JSON.stringify(records) }));
  assert.ok(isWebviewToHost({ type: 'export', format: 'csv', name: 'runs', content: 'a,b\r\n' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'json', name: 'runs', content: '{not json' }));
  assert.ok(!isWebviewToHost({ type: 'export', format: 'svg', name: 'runs', content: '<svg></svg>' }), 'the table exports data only');
  assert.ok(isRunsTableState({ filter: '', selected: [], columns: { 'prov:git.commit': true } }));
  assert.ok(!isRunsTableState({ filter: '', selected: [], columns: { 'prov:git.commit': 'yes' } }));
  assert.ok(isHostToWebview(JSON.parse(JSON.stringify({ type: 'table', model: m }))));
});
