import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as store from '../../src/runner/runStore';
import { bin, cli, root } from './cliProcess';

const fixtures = path.join(root, 'test', 'fixtures', 'runner');

const out = () => mkdtempSync(path.join(tmpdir(), 'ml-cli-'));

test('runs through a link named like npm\'s .bin/model-lab (npx), not only as bin/model-lab.js', async () => {
  const link = path.join(out(), 'model-lab');
  symlinkSync(bin, link);
  const r = await cli(['run'], undefined, link);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /model-lab: /);
  const help = await cli(['--help'], undefined, link);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage:/);
});

test('run --json prints exactly one JSON document with the run summary', async () => {
  const r = await cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--json', '--out', out()]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'completed');
  assert.equal(doc.epochs, 4);
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(doc.backend));
  for (const k of ['accuracy', 'loss']) assert.equal(typeof doc.metrics[k], 'number');
  for (const k of ['trainSeconds', 'samplesPerSecond']) assert.ok(doc[k] > 0, k);
  assert.deepEqual(doc.freezeEvents.map((f: { layer: string }) => f.layer), ['fc1']);
  assert.ok(doc.flopsSaved.backward > 0 && doc.flopsSaved.backward < 1);
  assert.ok(existsSync(path.join(doc.runDir, 'summary.json')));
  assert.match(r.stderr, /backend: /);
  // Progress on stderr (a pipe here): one final line, and epochs counted from 1 like everywhere.
  const final = r.stderr.split('\n').filter((l) => /^100% /.test(l));
  assert.equal(final.length, 1, r.stderr);
  assert.match(final[0], /^100% epoch 4\/4 loss [\d.]+ \| test acc [\d.]+%$/);
  assert.match(r.stderr, new RegExp(`^froze fc1 at epoch ${doc.freezeEvents[0].epoch + 1} \\(step ${doc.freezeEvents[0].step}\\)`, 'm'));
});

test('--threads sets the training threads (recorded in provenance) and is checked', async () => {
  const r = await cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--json', '--threads', '3', '--out', out()]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.match(r.stderr, /backend: wasm .*3 threads/);
  const provenance = JSON.parse(readFileSync(path.join(doc.runDir, 'provenance.json'), 'utf8'));
  assert.equal(provenance.threads, 3);
  // Which product the conv layers used, in the log and the provenance (the native one is built and loads on linux-x64).
  const convProducts = process.platform === 'linux' && process.arch === 'x64' ? 'native' : provenance.convProducts;
  assert.match(r.stderr, new RegExp(`conv products: ${convProducts.replace(/[()]/g, '\\$&')}\\)`));
  assert.equal(provenance.convProducts, convProducts);
  for (const bad of ['0', 'two', '1.5']) {
    const refused = await cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--threads', bad]);
    assert.equal(refused.code, 2, bad);
    assert.match(refused.stderr, new RegExp(`--threads: expected a whole number of at least 1, got "${bad.replace('.', '\\.')}"`));
  }
});

test('--policy overrides the file and is checked', async () => {
  const r = await cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--json', '--policy', 'none', '--out', out()]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.policy, 'none');
  assert.deepEqual(doc.freezeEvents, []);
  const bad = await cli(['run', path.join(fixtures, 'tiny.experiment.json'), '--policy', 'sometimes']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--policy: unknown policy "sometimes"/);
});

test('--policy static asks for what the file does not give; --policy-option gives it', async () => {
  // The tiny fixture with a policy that has no static settings.
  const file = path.join(out(), 'smart.experiment.json');
  const digits = path.join(root, 'examples', 'digits', 'digits.csv.gz');
  writeFileSync(file, readFileSync(path.join(fixtures, 'tiny.experiment.json'), 'utf8')
    .replace('../../../examples/digits/digits.csv.gz', digits.replace(/\\/g, '/'))
    .replace('"policy": "static", "prefix": 1, "atEpoch": 2', '"policy": "smartfrz"'));
  const missing = await cli(['run', file, '--policy', 'static', '--out', out()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/freezing: freezing policy "static" \(from --policy\) needs "layers" or "prefix", and "atEpoch" or "atStep"/);
  const r = await cli(['run', file, '--json', '--policy', 'static', '--policy-option', 'prefix=1', '--policy-option', 'atEpoch=1', '--out', out()]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.policy, 'static');
  assert.deepEqual(doc.freezeEvents.map((f: { layer: string; epoch: number }) => [f.layer, f.epoch]), [['fc1', 1]]);
  const bad = await cli(['run', file, '--policy-option', 'prefix']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--policy-option: expected KEY=VALUE/);
});

for (const [name, file, pattern] of [
  ['a missing file', 'nope.experiment.json', /nope\.experiment\.json/],
  ['an unknown layer type', 'bad-layer.experiment.json', /bad-layer\.experiment\.json:8:\d+: \/model\/layers\/0\/type: .*dence/],
  ['malformed JSON', 'malformed.experiment.json', /malformed\.experiment\.json:4:\d+: /],
] as const) {
  test(`${name} exits 2 with one line and no stack trace`, async () => {
    const r = await cli(['run', path.join(fixtures, file), '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}

test('a run that fails on its data stays in the run store as failed, with the error at the field and line', async () => {
  const dir = out();
  const r = await cli(['run', path.join(fixtures, 'too-few-outputs.experiment.json'), '--json', '--out', dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /too-few-outputs\.experiment\.json:11:50: \/model\/layers\/0\/units: the data has 10 classes \(labels 0 to 9\), but the output layer "out" has 5 units/);
  const [run] = await store.listRuns(dir);
  assert.equal(run?.status, 'failed');
  assert.deepEqual([run.error?.pointer, run.error?.line, run.error?.column], ['/model/layers/0/units', 11, 50]);
  const end = (await store.readEvents(run.runDir)).at(-1);
  assert.ok(end?.type === 'end' && end.status === 'failed', JSON.stringify(end));
});

test('SIGTERM stops at a step boundary; --resume finishes the run', async () => {
  const dir = out();
  let sent = false;
  const r = await cli(['run', path.join(fixtures, 'long.experiment.json'), '--json', '--out', dir], (chunk, child) => {
    if (!sent && /epoch 3\//.test(chunk)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  assert.equal(r.code, 130, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'cancelled');
  assert.match(r.stderr, /resume with: model-lab run --resume /);
  const record = await store.readRunRecord(doc.runDir);
  assert.equal(record?.status, 'cancelled');

  const resumed = await cli(['run', '--resume', doc.runDir, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const final = JSON.parse(resumed.stdout);
  assert.equal(final.status, 'completed');
  assert.equal(final.epochsDone, 60);
  assert.equal(final.runDir, doc.runDir);
});

test('run dispatches on the experiment kind: an extract-eval file is evaluated and summarised', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'ml-cli-'));
  const r = await cli(['run', path.join(fixtures, 'extract-eval.experiment.json'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.kind, 'extract-eval');
  assert.equal(summary.status, 'completed');
  assert.equal(summary.scores.sentences, 8);
  assert.ok(summary.scores.entity.f1 > 0.8, r.stdout);
  assert.equal((await store.readRunRecord(summary.runDir))?.kind, 'extract-eval');
  const text = await cli(['run', path.join(fixtures, 'extract-eval.experiment.json'), '--out', out]);
  assert.match(text.stdout, /^completed sample-eval \(extract-eval, provider builtin\) in [\d.]+ s\n  scores: entity F1 [\d.]+% \(P [\d.]+%, R [\d.]+%\), strict relation F1 [\d.]+%, 8 sentences\n/);
  const policy = await cli(['run', path.join(fixtures, 'extract-eval.experiment.json'), '--policy', 'none']);
  assert.equal(policy.code, 2);
  assert.match(policy.stderr, /--policy applies to train experiments only/);
});


test('the iris example (header row, quoted species names) runs offline; the class mapping is stored with the run and printed', async () => {
  const r = await cli(['run', path.join(root, 'examples', 'iris', 'iris-mlp.experiment.json'), '--out', out()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /120 train \/ 30 test examples/);
  assert.match(r.stderr, /classes: 0 setosa, 1 versicolor, 2 virginica/);
  assert.match(r.stdout, /\n {2}classes: 0 setosa, 1 versicolor, 2 virginica\n/);
  const runDir = /run folder: (.+)/.exec(r.stdout)?.[1] ?? '';
  const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.classNames, ['setosa', 'versicolor', 'virginica']);
  // Three well separated species: far above the 33% of guessing (30 test flowers).
  assert.ok(summary.metrics.accuracy >= 0.8, `accuracy ${summary.metrics.accuracy}`);
  const start = store.parseEventLines(readFileSync(path.join(runDir, store.EVENTS_FILE), 'utf8')).find((e) => e.type === 'start');
  assert.deepEqual(start?.type === 'start' && start.classNames, ['setosa', 'versicolor', 'virginica']);
});

test('a distill experiment runs from the CLI: the teacher is the latest run under --out, --json prints the distill summary, the text form a table', async () => {
  const dir = out();
  const rows = gunzipSync(readFileSync(path.join(root, 'examples/digits/digits.csv.gz'))).toString('utf8').trim().split('\n');
  writeFileSync(path.join(dir, 'train.csv'), rows.filter((_, i) => i % 5 !== 0).join('\n') + '\n');
  writeFileSync(path.join(dir, 'test.csv'), rows.filter((_, i) => i % 5 === 0).join('\n') + '\n');
  writeFileSync(path.join(dir, 'teacher.experiment.json'), JSON.stringify({
    kind: 'train', name: 'teacher', data: { format: 'csv', train: 'train.csv', test: 'test.csv', label: 'last', scale: 16 },
    model: { inputShape: [64], layers: [{ type: 'dense', units: 64, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dense', units: 10, activation: 'softmax' }] },
    training: { epochs: 4, batchSize: 32, seed: 1 }, freezing: { policy: 'none' },
  }));
  writeFileSync(path.join(dir, 'distill.experiment.json'), JSON.stringify({
    kind: 'distill', name: 'small', teacher: 'teacher.experiment.json',
    student: { layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }] },
    arms: ['kd', 'noise'], training: { epochs: 3, batchSize: 32, seed: 1 }, synthesis: { samples: 128 },
  }));
  const runs = path.join(dir, 'runs');
  const before = await cli(['run', path.join(dir, 'distill.experiment.json'), '--out', runs]);
  assert.equal(before.code, 2, before.stderr);
  assert.match(before.stderr, /distill\.experiment\.json:\d+:\d+.*has no completed run yet/);
  assert.equal((await cli(['run', path.join(dir, 'teacher.experiment.json'), '--out', runs])).code, 0);
  const r = await cli(['run', path.join(dir, 'distill.experiment.json'), '--out', runs, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.kind, 'distill');
  assert.equal(summary.status, 'completed');
  assert.deepEqual(Object.keys(summary.teacher).sort(), ['accuracy', 'msPerExample', 'parameters']);
  assert.deepEqual(summary.arms.map((a: { name: string }) => a.name), ['kd', 'noise']);
  assert.deepEqual(Object.keys(summary.arms[0]).sort(), ['accuracy', 'msPerExample', 'name', 'parameters', 'trainSeconds']);
  assert.deepEqual(JSON.parse(readFileSync(path.join(summary.runDir, 'summary.json'), 'utf8')), summary);
  const text = await cli(['run', path.join(dir, 'distill.experiment.json'), '--out', runs]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^completed small \(distill\): 2 arms\n\s+accuracy\s+parameters\s+ms\/example\s+smaller\s+faster\s+train s\n\s+teacher\s+[\d.]+%\s+\d+/);
  assert.match(text.stdout, /\n\s+kd\s+[\d.]+%\s+\d+\s+[\d.]+\s+[\d.]+x\s+[\d.]+x\s+[\d.]+\n\s+noise\s/);
});
