import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { updateRunMeta } from '../../src/runner/runMeta';
import { writeSyntheticRuns } from '../runner/helpers/syntheticRuns';
import { assertOneLineError, cli, root } from './cliProcess';

const tiny = path.join(root, 'test', 'fixtures', 'runner', 'tiny.experiment.json');
const DIGITS_SHA256 = createHash('sha256').update(readFileSync(path.join(root, 'examples', 'digits', 'digits.csv.gz'))).digest('hex');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'ml-runs-cli-'));

test('runs list / runs diff on two real runs: params are the resolved config, diff lists only differences', async () => {
  const out = tmp();
  const a = await cli(['run', tiny, '--json', '--out', out, '--policy', 'none']);
  assert.equal(a.code, 0, a.stderr);
  const b = await cli(['run', tiny, '--json', '--out', out]);
  assert.equal(b.code, 0, b.stderr);
  const runA = JSON.parse(a.stdout);
  const runB = JSON.parse(b.stdout);
  await updateRunMeta(runB.runDir, { name: 'static baseline', tags: ['baseline', ' first ', 'baseline'], note: 'fc1 frozen at epoch 2' });

  const list = await cli(['runs', 'list', '--root', out, '--json']);
  assert.equal(list.code, 0, list.stderr);
  const runs = JSON.parse(list.stdout) as Record<string, any>[];
  assert.equal(runs.length, 2);
  assert.deepEqual(runs.map((r) => r.runId), [runB.runId, runA.runId], 'newest first');
  for (const r of runs) {
    for (const k of ['runId', 'experiment', 'kind', 'status', 'policy', 'params', 'metrics', 'tags', 'note', 'runDir']) assert.ok(k in r, `${k} in ${JSON.stringify(Object.keys(r))}`);
    assert.equal(r.kind, 'train');
    assert.equal(r.status, 'completed');
    assert.equal(r.params['training.epochs'], 4);
    assert.equal(r.params['model.layers[0].units'], 32);
    assert.deepEqual(r.params['model.inputShape'], [64]);
    assert.equal(r.params['data.train'], path.join(root, 'examples', 'digits', 'digits.csv.gz'), 'paths resolved');
    // Provenance from provenance.json: versions, backend, the data file's SHA-256 (as sha256sum prints it).
    assert.equal(r.provenance.node, process.version);
    assert.equal(r.provenance.backend, 'wasm');
    assert.equal(r.provenance.seed, r.params['training.seed']);
    assert.equal(r.provenance['data.sha256'], DIGITS_SHA256);
    assert.equal(r.provenance['data[/data/train]'], DIGITS_SHA256);
  }
  const [listedB, listedA] = runs;
  assert.equal(listedA.metrics.accuracy, runA.metrics.accuracy);
  assert.equal(listedB.metrics.loss, runB.metrics.loss);
  assert.deepEqual([listedB.name, listedB.tags, listedB.note], ['static baseline', ['baseline', 'first'], 'fc1 frozen at epoch 2']);
  assert.deepEqual([listedA.tags, listedA.note], [[], '']);

  const diff = await cli(['runs', 'diff', runA.runDir, runB.runId, '--root', out, '--json']);
  assert.equal(diff.code, 0, diff.stderr);
  const d = JSON.parse(diff.stdout);
  assert.deepEqual(Object.keys(d), ['config', 'metrics', 'provenance']);
  assert.deepEqual(d.provenance, [], 'two runs of the same file, software and data: the same provenance');
  assert.deepEqual(d.config, [
    { path: 'freezing.policy', a: 'none', b: 'static' },
    { path: 'freezing.prefix', b: 1 },
    { path: 'freezing.atEpoch', b: 2 },
  ]);
  for (const [name, m] of Object.entries(d.metrics) as [string, { a: number; b: number; delta: number }][]) {
    assert.notEqual(m.a, m.b, `${name} is listed only when it differs`);
  }
  // A run compared with itself: nothing differs.
  const same = await cli(['runs', 'diff', runA.runId, runA.runId, '--root', out, '--json']);
  assert.deepEqual(JSON.parse(same.stdout), { config: [], metrics: {}, provenance: [] });
  // Human output names the fields.
  const text = await cli(['runs', 'diff', runA.runId, 'static baseline', '--root', out]);
  assert.match(text.stdout, /freezing\.policy: none -> static/);
});

test('runs list finds every .model-lab/runs under the current folder without --root; errors are one line', async () => {
  const ws = tmp();
  await writeSyntheticRuns(path.join(ws, 'a', '.model-lab', 'runs'), 3);
  await writeSyntheticRuns(path.join(ws, 'b', 'c', '.model-lab', 'runs'), 2, { start: new Date('2026-12-01T00:00:00Z') });
  const r = await cli(['runs', 'list', '--json', '--root', ws]);
  assert.deepEqual(JSON.parse(r.stdout), [], '--root is the runs folder itself');
  const all = await cliIn(ws, ['runs', 'list', '--json']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(JSON.parse(all.stdout).length, 5);
  const ok = await cliIn(ws, ['runs', 'diff', 'run-0002', 'a/.model-lab/runs/run-0001-static', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).config, [{ path: 'freezing.policy', a: 'linear', b: 'static' }]);
  assert.deepEqual(JSON.parse(ok.stdout).provenance, [{ path: 'git.dirty', a: false, b: true }], 'run 1 was made from a dirty tree');
  assertOneLineError(await cliIn(ws, ['runs', 'diff', 'run-0002', 'nope']), /no run "nope"/);
  assertOneLineError(await cliIn(ws, ['runs', 'diff', 'run-000']), /two runs/);
  assertOneLineError(await cliIn(ws, ['runs', 'diff', 'run-0002', 'run-0000']), /"run-0000" names 2 runs/);
  assertOneLineError(await cliIn(ws, ['runs', 'list', '--root', path.join(ws, 'missing')]), /no such folder/);
  assertOneLineError(await cliIn(ws, ['runs', 'show']), /runs list/);
});

/** `model-lab ARGS` with `cwd` as the current folder. */
function cliIn(cwd: string, args: string[]) {
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    return cli(args);
  } finally {
    process.chdir(prev);
  }
}
