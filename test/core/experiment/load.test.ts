import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { checkExperimentText, loadExperimentFile, missingPolicyOptions, parseExperimentText } from '../../../src/core/experiment/load';
import type { TrainExperiment } from '../../../src/core/experiment/types';
import { createRng } from '../../../src/core/util/random';

const FIXTURES = path.resolve(__dirname, '../../fixtures/experiment');
const fixture = (name: string): string => path.join(FIXTURES, name);

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, nth = 0): { line: number; column: number; offset: number } {
  let offset = -1;
  for (let i = 0; i <= nth; i++) offset = text.indexOf(needle, offset + 1);
  assert.ok(offset >= 0, `${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1, offset };
}

async function rejectsUserError(p: Promise<unknown>): Promise<UserError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a UserError');
}

/** The example from issue 2, verbatim. */
const ISSUE_EXAMPLE = `{
  "kind": "train",
  "name": "digits-mlp",
  "data": { "format": "csv", "train": "digits.csv.gz", "label": "last", "scale": 16, "testSplit": 0.2 },
  "model": { "inputShape": [64], "layers": [
    { "name": "fc1", "type": "dense", "units": 128, "activation": "relu" },
    { "name": "fc2", "type": "dense", "units": 64, "activation": "relu" },
    { "name": "out", "type": "dense", "units": 10, "activation": "softmax" } ] },
  "training": { "epochs": 20, "batchSize": 32, "optimizer": { "type": "adam", "learningRate": 0.001 }, "seed": 7 },
  "freezing": { "policy": "smartfrz" }
}`;

test('the example experiment from the issue is valid (next to the shipped digits data)', () => {
  const file = path.resolve(__dirname, '../../../examples/digits/issue-example.experiment.json');
  assert.deepEqual(checkExperimentText(ISSUE_EXAMPLE, file), []);
});

test('a valid file with comments and trailing commas loads with absolute paths and defaults', async () => {
  const loaded = await loadExperimentFile(fixture('valid-comments.experiment.json'));
  assert.equal(loaded.file, fixture('valid-comments.experiment.json'));
  assert.equal(loaded.baseDir, FIXTURES);
  const exp = loaded.experiment as TrainExperiment;
  assert.equal(exp.kind, 'train');
  assert.equal(exp.data.train, fixture('tiny.csv'));
  assert.equal(exp.data.testSplit, 0.3);
  // Schema defaults are filled in, so a run stores the values it used.
  assert.equal(exp.training.shuffle, true);
  assert.equal(exp.freezing?.policy, 'linear');
  assert.equal(exp.freezing?.policy === 'linear' && exp.freezing.cubic, false);
  assert.equal(exp.freezing?.keepTrainable, 1);
  assert.deepEqual(loaded.warnings, []);
});

test('unknown layer type: pointer, line and the list of valid types', async () => {
  const file = fixture('bad-layer-type.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  const at = positionOf(text, '"dence"');
  assert.equal(err.pointer, '/model/layers/2/type');
  assert.equal(err.file, file);
  assert.equal(err.line, at.line);
  assert.equal(err.column, at.column);
  assert.match(err.message, /unknown layer type "dence" \(did you mean "dense"\?\); expected one of dense, conv2d, maxPooling2d/);
  assert.match(err.format(), new RegExp(`bad-layer-type\\.experiment\\.json:${at.line}:${at.column}: /model/layers/2/type: unknown layer type`));
});

test('syntax error: line and column of the problem', async () => {
  const file = fixture('syntax-error.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  const at = positionOf(text, '"data"');
  assert.match(err.message, /syntax error: ',' expected/);
  assert.equal(err.line, at.line);
  assert.equal(err.column, at.column);
});

test('impossible shape: conv2d on a 1-D input', async () => {
  const file = fixture('impossible-shape.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  assert.equal(err.pointer, '/model/layers/1');
  assert.equal(err.message, 'conv2d needs a 3-D input [h, w, c], got [8]');
  assert.equal(err.line, positionOf(text, '"conv2d"').line);
});

test('missing data file: pointer /data/train and the resolved path', async () => {
  const file = fixture('missing-data.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  assert.equal(err.pointer, '/data/train');
  assert.equal(err.message, `data file not found: ${fixture('no-such-file.csv')}`);
  assert.equal(err.line, positionOf(text, '"no-such-file.csv"').line);
});

test('duplicate layer names point at the second name', async () => {
  const file = fixture('duplicate-layer.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  assert.equal(err.pointer, '/model/layers/1/name');
  assert.match(err.message, /duplicate layer name "fc" \(layer 0 has it too\)/);
  const second = positionOf(text, '"fc"', 1);
  assert.equal(err.line, second.line);
  assert.equal(err.column, second.column);
});

test('unknown property names it, points at its key and says where it belongs', async () => {
  const file = fixture('unknown-property.experiment.json');
  const text = await fs.readFile(file, 'utf8');
  const err = await rejectsUserError(loadExperimentFile(file));
  assert.equal(err.pointer, '/training/learningRate');
  assert.match(err.message, /unknown property "learningRate" in training \(it belongs in "optimizer"\); allowed: epochs, batchSize, optimizer, seed, shuffle/);
  const at = positionOf(text, '"learningRate"');
  assert.equal(err.line, at.line);
  assert.equal(err.column, at.column);
});

test('a missing experiment file is a UserError naming the file', async () => {
  const err = await rejectsUserError(loadExperimentFile(fixture('nope.experiment.json')));
  assert.match(err.message, /experiment file not found: .*nope\.experiment\.json/);
});

test('checkExperimentText collects every problem with ranges, sorted by position', () => {
  const text = `{
  "kind": "train",
  "name": "",
  "data": { "format": "csv", "train": "tiny.csv", "label": "lastt", "scale": 0 },
  "model": { "inputShape": [4], "layers": [
    { "type": "dense", "units": 8, "activation": "rellu" },
    { "type": "dense", "unit": 3 }
  ] },
  "training": { "epochs": "2", "batchSize": 4 },
  "freezing": { "policy": "static" }
}`;
  const diags = checkExperimentText(text, fixture('inline.experiment.json'));
  const byPointer = new Map(diags.map((d) => [`${d.pointer} ${d.message}`, d]));
  const expect = (pointer: string, message: RegExp, underlined: string): void => {
    const d = diags.find((x) => x.pointer === pointer && message.test(x.message));
    assert.ok(d, `no diagnostic ${pointer} ${message}; got ${[...byPointer.keys()].join(' | ')}`);
    assert.equal(d.severity, 'error');
    assert.equal(text.slice(d.start, d.end), underlined);
    const at = positionOf(text, underlined);
    assert.equal(d.line, at.line);
    assert.equal(d.column, at.column);
  };
  expect('/name', /^name must not be empty$/, '""');
  expect('/data/label', /^label must be "last" or "first" or an integer >= 0, got "lastt"/, '"lastt"');
  expect('/data/scale', /^scale must be > 0, got 0$/, '0');
  expect('/model/layers/0/activation', /unknown activation "rellu" \(did you mean "relu"\?\)/, '"rellu"');
  expect('/model/layers/1/unit', /unknown property "unit" in layers\[1\] \(did you mean "units"\?\)/, '"unit"');
  expect('/training/epochs', /^epochs must be an integer, got "2" \(a string\)$/, '"2"');
  expect('/freezing', /^give one of "layers" and "prefix"$/, '"freezing"');
  expect('/freezing', /^give one of "atEpoch" and "atStep"$/, '"freezing"');
  const missingUnits = diags.find((d) => d.pointer === '/model/layers/1' && /missing required property "units"/.test(d.message));
  assert.ok(missingUnits);
  assert.equal(diags.length, 9, diags.map((d) => d.message).join('\n'));
  for (let i = 1; i < diags.length; i++) assert.ok(diags[i - 1].start <= diags[i].start);
});

test('no flood of oneOf alternatives: one message per wrong tag', () => {
  const diags = checkExperimentText('{"kind": "trian", "name": "x"}', '');
  assert.equal(diags.length, 1);
  assert.equal(diags[0].pointer, '/kind');
  assert.equal(diags[0].message, 'unknown experiment kind "trian" (did you mean "train"?); expected one of train, reward-compare, extract-train, extract-eval, skills, offline-gcrl, distill, diffusion-policy, diffusion');
  const noKind = checkExperimentText('{"name": "x"}', '');
  assert.equal(noKind.length, 1);
  assert.match(noKind[0].message, /missing required property "kind"/);
  const badFormat = checkExperimentText(
    '{"kind":"train","name":"x","data":{"format":"parquet","train":"a"},"model":{"inputShape":[1],"layers":[{"type":"dense","units":1}]},"training":{"epochs":1,"batchSize":1}}',
    '',
  );
  assert.deepEqual(badFormat.map((d) => [d.pointer, d.message]), [
    ['/data/format', 'unknown data format "parquet"; expected one of csv, idx, jsonl'],
  ]);
  const badPolicy = checkExperimentText(
    '{"kind":"train","name":"x","data":{"format":"csv","train":"a"},"model":{"inputShape":[1],"layers":[{"type":"dense","units":1}]},"training":{"epochs":1,"batchSize":1},"freezing":{"policy":"smartfrzz"}}',
    '',
  );
  assert.deepEqual(badPolicy.map((d) => d.pointer), ['/freezing/policy']);
  assert.match(badPolicy[0].message, /unknown freezing policy "smartfrzz" \(did you mean "smartfrz"\?\); expected one of none, static, linear, autofreeze, smartfrz/);
});

test('model without layers or from says what is needed', () => {
  const diags = checkExperimentText('{"kind":"train","name":"x","data":{"format":"csv","train":"a"},"model":{},"training":{"epochs":1,"batchSize":1}}', '');
  assert.deepEqual(
    diags.map((d) => d.message),
    ['missing required property "inputShape" (needed unless "from" is given)', 'missing required property "layers" (needed unless "from" is given)'],
  );
});

test('syntax errors, empty files and non-objects never throw', () => {
  const broken = checkExperimentText('{\n  "kind": "train",\n  "name": \n}', '');
  assert.equal(broken.length, 1);
  assert.match(broken[0].message, /syntax error: value expected/);
  assert.equal(broken[0].line, 4);
  assert.equal(broken[0].column, 1);
  assert.match(checkExperimentText('', '')[0].message, /the file is empty/);
  assert.match(checkExperimentText('[1, 2]', '')[0].message, /the experiment must be an object, got \[1,2\] \(an array\)/);
  const unterminated = checkExperimentText('{"kind": "tra', '');
  assert.match(unterminated[0].message, /syntax error: unterminated string/);
});

test('duplicate keys are reported as warnings; file checks are skipped without a file path', () => {
  const text = `{"kind":"train","name":"a","name":"b","data":{"format":"csv","train":"missing.csv"},"model":{"inputShape":[1],"layers":[{"type":"dense","units":1}]},"training":{"epochs":1,"batchSize":1}}`;
  const diags = checkExperimentText(text, '');
  assert.deepEqual(diags.map((d) => [d.severity, d.pointer, d.message]), [['warning', '/name', 'duplicate property "name"; the last one wins']]);
  assert.equal(text.slice(diags[0].start, diags[0].end), '"name"');
  assert.equal(diags[0].start, text.lastIndexOf('"name"'));
  const parsed = parseExperimentText(text, '');
  assert.equal(parsed.experiment?.name, 'b');
});

test('semantic checks: text input shape, embedding size, freezing layer names, ignored options', () => {
  const text = JSON.stringify({
    kind: 'train',
    name: 'text',
    data: { format: 'jsonl', train: 'a.jsonl', test: 'b.jsonl', testSplit: 0.1, maxLength: 32, vocabSize: 1000, scale: 2 },
    model: {
      inputShape: [64],
      layers: [
        { type: 'embedding', inputDim: 500, outputDim: 16 },
        { type: 'transformerEncoder', numHeads: 3, ffDim: 32 },
        { type: 'globalAveragePooling1d' },
        { name: 'out', type: 'dense', units: 4, activation: 'softmax' },
      ],
    },
    training: { epochs: 2, batchSize: 8 },
    freezing: { policy: 'static', layers: ['embedding_0', 'globalAveragePooling1d_2', 'nope'], atEpoch: 5 },
  });
  const diags = checkExperimentText(text, '');
  const list = diags.map((d) => `${d.severity} ${d.pointer}: ${d.message}`);
  const has = (re: RegExp): void => assert.ok(list.some((l) => re.test(l)), `missing ${re}\n${list.join('\n')}`);
  has(/^warning \/data\/testSplit: testSplit is ignored because a test file is given$/);
  has(/^warning \/data\/scale: scale is ignored for text data/);
  has(/^error \/model\/inputShape: text data gives examples of shape \[32\] \(data\.maxLength\), but inputShape is \[64\]$/);
  has(/^error \/model\/layers\/0\/inputDim: inputDim 500 is smaller than data\.vocabSize 1000/);
  has(/^error \/model\/layers\/1\/numHeads: transformerEncoder: the input dimension 16 is not divisible by numHeads 3$/);
  has(/^error \/freezing\/layers\/1: layer "globalAveragePooling1d_2" \(globalAveragePooling1d\) has no weights to freeze/);
  has(/^error \/freezing\/layers\/2: unknown layer "nope"; layers with weights: embedding_0, transformerEncoder_1, out$/);
  has(/^warning \/freezing\/atEpoch: atEpoch 5 is never reached: training has 2 epochs/);
  assert.equal(list.length, 8, list.join('\n'));
});

test('the last layer must give one score per class', () => {
  const text = JSON.stringify({
    kind: 'train',
    name: 'x',
    data: { format: 'jsonl', train: 'a.jsonl' },
    model: { inputShape: [64], layers: [{ type: 'embedding', outputDim: 8 }, { type: 'dense', units: 3, activation: 'softmax' }] },
    training: { epochs: 1, batchSize: 1 },
  });
  const diags = checkExperimentText(text, '');
  assert.equal(diags.length, 1);
  assert.equal(diags[0].pointer, '/model/layers/1');
  assert.match(diags[0].message, /the last layer must output one score per class \(a 1-D shape\), but it outputs \[64, 3\]/);
  assert.equal(text.slice(diags[0].start, diags[0].end), '"dense"');
});

test('--policy override: replaces the policy, keeps only options the new policy takes', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-policy-'));
  try {
    await fs.copyFile(fixture('tiny.csv'), path.join(dir, 'tiny.csv'));
    const file = path.join(dir, 'p.experiment.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        kind: 'train',
        name: 'p',
        data: { format: 'csv', train: 'tiny.csv', label: 'last' },
        model: { inputShape: [4], layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: 3, activation: 'softmax' }] },
        training: { epochs: 1, batchSize: 2 },
        freezing: { policy: 'static', prefix: 1, atEpoch: 0, cache: false, keepTrainable: 1 },
      }),
    );
    const smart = (await loadExperimentFile(file, { policy: 'smartfrz' })).experiment as TrainExperiment;
    assert.equal(smart.freezing?.policy, 'smartfrz');
    assert.equal(smart.freezing?.cache, false);
    assert.equal(smart.freezing?.prefix, undefined);
    assert.equal(smart.freezing?.atEpoch, undefined);
    assert.equal(smart.freezing?.snapshotEvery, 4, 'the new policy\'s schema defaults');
    assert.equal(smart.freezing?.threshold, undefined, 'no fixed default: the predictor\'s calibrated threshold applies');
    const same = (await loadExperimentFile(file, { policy: 'static' })).experiment as TrainExperiment;
    assert.equal(same.freezing?.prefix, 1);
    const err = await rejectsUserError(loadExperimentFile(file, { policy: 'fast' }));
    assert.equal(err.pointer, '/freezing/policy');
    assert.match(err.message, /unknown freezing policy "fast" \(from --policy\); expected one of none, static, linear, autofreeze, smartfrz/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('--policy static on a file without static settings: says what it needs; policy options give it', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-policy-options-'));
  try {
    await fs.copyFile(fixture('tiny.csv'), path.join(dir, 'tiny.csv'));
    const file = path.join(dir, 'p.experiment.json');
    const text = JSON.stringify({
      kind: 'train', name: 'p', data: { format: 'csv', train: 'tiny.csv', label: 'last' },
      model: { inputShape: [4], layers: [{ name: 'h', type: 'dense', units: 8 }, { type: 'dense', units: 3, activation: 'softmax' }] },
      training: { epochs: 4, batchSize: 2 },
      freezing: { policy: 'smartfrz', keepTrainable: 1 },
    }, null, 2);
    await fs.writeFile(file, text);
    const err = await rejectsUserError(loadExperimentFile(file, { policy: 'static' }));
    assert.equal(err.pointer, '/freezing');
    assert.equal(err.message, 'freezing policy "static" (from --policy) needs "layers" or "prefix", and "atEpoch" or "atStep"; give them as policy options (--policy-option KEY=VALUE)');
    assert.equal(err.line, positionOf(text, '"freezing"').line);
    const partly = await rejectsUserError(loadExperimentFile(file, { policy: 'static', policyOptions: { prefix: 1 } }));
    assert.match(partly.message, /needs "atEpoch" or "atStep";/);
    const ok = (await loadExperimentFile(file, { policy: 'static', policyOptions: { prefix: 1, atEpoch: 2 } })).experiment as TrainExperiment;
    assert.deepEqual(ok.freezing, { policy: 'static', keepTrainable: 1, prefix: 1, atEpoch: 2, cache: true });
    // Options are validated like the file's: a bad value or an option the policy does not take.
    const bad = await rejectsUserError(loadExperimentFile(file, { policy: 'static', policyOptions: { prefix: 0, atEpoch: 2 } }));
    assert.match(bad.message, /prefix must be >= 1, got 0/);
    const alien = await rejectsUserError(loadExperimentFile(file, { policy: 'static', policyOptions: { prefix: 1, atEpoch: 2, threshold: 0.5 } }));
    assert.match(alien.message, /unknown property "threshold" in freezing/);
    // An option replaces its alternative from the file: a static file's `layers` gives way to `prefix`.
    await fs.writeFile(file, text.replace('"policy": "smartfrz"', '"policy": "static", "layers": ["h"], "atStep": 3'));
    const replaced = (await loadExperimentFile(file, { policy: 'static', policyOptions: { prefix: 1, atEpoch: 1 } })).experiment as TrainExperiment;
    assert.deepEqual([replaced.freezing?.prefix, replaced.freezing?.layers, replaced.freezing?.atEpoch, replaced.freezing?.atStep], [1, undefined, 1, undefined]);
    // Policies without required options need none.
    for (const policy of ['none', 'linear', 'autofreeze', 'smartfrz']) await loadExperimentFile(file, { policy });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('missingPolicyOptions reads the required options from the schema', () => {
  assert.deepEqual(missingPolicyOptions('static', { policy: 'static' }), [['layers', 'prefix'], ['atEpoch', 'atStep']]);
  assert.deepEqual(missingPolicyOptions('static', { policy: 'static', layers: ['a'] }), [['atEpoch', 'atStep']]);
  assert.deepEqual(missingPolicyOptions('static', { policy: 'static', prefix: 1, atStep: 0 }), []);
  for (const p of ['none', 'linear', 'autofreeze', 'smartfrz']) assert.deepEqual(missingPolicyOptions(p, { policy: p }), [], p);
});

test('other kinds validate and resolve their paths', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-kinds-'));
  try {
    await fs.writeFile(path.join(dir, 'w.rewards.json'), '{}');
    await fs.writeFile(path.join(dir, 'dev.json'), '[]');
    const rc = path.join(dir, 'rc.experiment.json');
    await fs.writeFile(rc, '{"kind": "reward-compare", "name": "rc", "rewards": "w.rewards.json", "canon": "epic"}');
    const loaded = await loadExperimentFile(rc);
    assert.equal(loaded.experiment.kind, 'reward-compare');
    assert.equal(loaded.experiment.kind === 'reward-compare' && loaded.experiment.rewards, path.join(dir, 'w.rewards.json'));
    const ee = path.join(dir, 'ee.experiment.json');
    await fs.writeFile(ee, '{"kind": "extract-eval", "name": "ee", "data": "dev.json", "format": "conll04"}');
    const loadedEe = await loadExperimentFile(ee);
    assert.equal(loadedEe.experiment.kind === 'extract-eval' && loadedEe.experiment.data, path.join(dir, 'dev.json'));
    const bad = checkExperimentText('{"kind": "extract-eval", "name": "ee", "data": "dev.json", "format": "conll03"}', path.join(dir, 'x.json'));
    assert.deepEqual(bad.map((d) => [d.pointer, d.message]), [['/format', 'unknown format "conll03" (did you mean "conll04"?); expected one of conll04, semeval8']]);
    const err = await rejectsUserError(loadExperimentFile(rc, { policy: 'none' }));
    assert.match(err.message, /--policy applies to train experiments only/);
    const provider = checkExperimentText('{"kind": "extract-eval", "name": "ee", "data": "dev.json", "format": "conll04",\n "provider": "ollama", "modelFile": "dev.json"}', ee);
    assert.deepEqual(provider.map((d) => [d.pointer, d.line, d.message]), [
      ['/provider', 2, 'provider "ollama" needs "model" (e.g. "llama3.2")'],
      ['/modelFile', 2, '"modelFile" applies to provider "builtin" only; this experiment uses "ollama"'],
    ]);
    const causal = checkExperimentText('{"kind": "extract-eval", "name": "ee", "data": "dev.json", "format": "semeval8",\n "provider": "llamacpp",\n "schema": "dev.json"}', ee);
    assert.deepEqual(causal.map((d) => [d.pointer, d.line, d.message]), [
      ['/provider', 2, 'format "semeval8" scores the built-in causal model; use provider "builtin"'],
      ['/schema', 3, 'format "semeval8" classifies the 19 SemEval labels; "schema" does not apply'],
    ]);
    assert.deepEqual(checkExperimentText('{"kind": "extract-eval", "name": "ee", "data": "dev.json", "format": "semeval8"}', ee), []);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('extract-train: defaults are the shipped settings, paths resolve, the output folder need not exist, bad fields are named with their line', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-et-'));
  try {
    await fs.writeFile(path.join(dir, 'train.json'), '[]');
    const file = path.join(dir, 'et.experiment.json');
    await fs.writeFile(file, '{"kind": "extract-train", "name": "et", "data": {"format": "conll04", "train": "train.json"}, "output": "models/mine"}');
    const loaded = await loadExperimentFile(file);
    assert.ok(loaded.experiment.kind === 'extract-train');
    assert.equal(loaded.experiment.data.train, path.join(dir, 'train.json'));
    assert.equal(loaded.experiment.output, path.join(dir, 'models', 'mine'));
    assert.deepEqual(loaded.experiment.training, { taggerEpochs: 7, relationEpochs: 8, batchSize: 16, learningRate: 0.003, seed: 1, taggerEnsemble: 3, crf: true, rnn: 64, charCnn: 0, minFeatureCount: 2, weightAverage: 0.99 });
    const text = '{"kind": "extract-train", "name": "et",\n "data": {"format": "conll04", "train": "train.json", "dev": "nope.json"},\n "training": {"crf": 1, "weightAverage": 1, "rnn": 2.5, "epochs": 3}}';
    const diags = checkExperimentText(text, file).map((d) => [d.pointer, d.line]);
    for (const expected of [['/training/crf', 3], ['/training/weightAverage', 3], ['/training/rnn', 3], ['/training/epochs', 3]]) {
      assert.ok(diags.some((d) => d[0] === expected[0] && d[1] === expected[1]), `${expected} in ${JSON.stringify(diags)}`);
    }
    const missing = checkExperimentText(text.replace(/"training".*\}\}/s, '"training": {}}'), file);
    assert.deepEqual(missing.map((d) => [d.pointer, d.line, d.message]), [['/data/dev', 2, `corpus file not found: ${path.join(dir, 'nope.json')}`]]);
    const causal = checkExperimentText('{"kind": "extract-train", "name": "et",\n "data": {"format": "semeval8", "train": "train.json"},\n "schema": "train.json"}', file);
    assert.deepEqual(causal.map((d) => [d.pointer, d.line, d.message]), [['/schema', 3, 'format "semeval8" trains the causal model on the 19 SemEval labels; "schema" does not apply']]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('absolute paths are kept; idx pairs and model.from are resolved', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-idx-'));
  try {
    for (const f of ['a-images', 'a-labels', 'model.json']) await fs.writeFile(path.join(dir, f), 'x');
    const file = path.join(dir, 'sub', 'i.experiment.json');
    await fs.mkdir(path.dirname(file));
    await fs.writeFile(
      file,
      JSON.stringify({
        kind: 'train',
        name: 'i',
        data: { format: 'idx', train: { images: '../a-images', labels: path.join(dir, 'a-labels') } },
        model: { from: '../model.json', layers: [{ type: 'dense', units: 10, activation: 'softmax' }] },
        training: { epochs: 1, batchSize: 2 },
      }),
    );
    const exp = (await loadExperimentFile(file)).experiment as TrainExperiment;
    assert.ok(exp.data.format === 'idx');
    assert.equal(exp.data.train.images, path.join(dir, 'a-images'));
    assert.equal(exp.data.train.labels, path.join(dir, 'a-labels'));
    assert.equal(exp.model.from, path.join(dir, 'model.json'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('schema defaults fill in after the checks, so a default never triggers a warning', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-defaults-'));
  try {
    await fs.copyFile(fixture('tiny.csv'), path.join(dir, 'tiny.csv'));
    const file = path.join(dir, 'd.experiment.json');
    const exp = {
      kind: 'train',
      name: 'd',
      data: { format: 'csv', train: 'tiny.csv', test: 'tiny.csv' },
      model: { inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] },
      training: { epochs: 1, batchSize: 2 },
    };
    await fs.writeFile(file, JSON.stringify(exp));
    const loaded = await loadExperimentFile(file);
    assert.deepEqual(loaded.warnings, []);
    const t = loaded.experiment as TrainExperiment;
    assert.equal(t.data.testSplit, 0.2);
    assert.equal(t.data.format === 'csv' && t.data.label, 'last');
    assert.equal(t.training.seed, 0);
    // With an explicit testSplit the warning appears.
    await fs.writeFile(file, JSON.stringify({ ...exp, data: { ...exp.data, testSplit: 0.1 } }));
    const warned = await loadExperimentFile(file);
    assert.deepEqual(warned.warnings.map((w) => [w.pointer, w.message]), [['/data/testSplit', 'testSplit is ignored because a test file is given']]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('checkExperimentText never throws: truncated and mutated files still give diagnostics', () => {
  const rng = createRng(2024);
  const pieces = ['{', '}', '[', ']', ',', ':', '"', '0', '-1', 'null', 'true', '"dense"', '"x"', '[]', '{}', ' ', '//', '/*'];
  const cases: string[] = [];
  for (let cut = 0; cut < ISSUE_EXAMPLE.length; cut += 7) cases.push(ISSUE_EXAMPLE.slice(0, cut));
  for (let i = 0; i < 150; i++) {
    const at = rng.int(ISSUE_EXAMPLE.length);
    const del = rng.int(4);
    cases.push(ISSUE_EXAMPLE.slice(0, at) + pieces[rng.int(pieces.length)] + ISSUE_EXAMPLE.slice(at + del));
  }
  for (const text of cases) {
    const diags = checkExperimentText(text, '');
    for (const d of diags) {
      assert.ok(d.message.length > 0);
      assert.ok(d.start >= 0 && d.end >= d.start && d.end <= text.length + 1, `range ${d.start}-${d.end} in ${text.length}`);
      assert.ok(d.line >= 1 && d.column >= 1);
    }
  }
});

const IRIS_DIR = path.resolve(__dirname, '../../../examples/iris');

test('every problem at once: schema errors do not hide missing files, the data\'s width or other fields\' problems', () => {
  const text = `{
  "kind": "train",
  "name": "iris",
  "data": { "format": "csv", "train": "iris.csv", "test": "no-such-test.csv", "header": true },
  "model": { "inputShape": [5], "layers": [
    { "name": "h", "type": "dense", "units": 8, "activation": "rellu" },
    { "name": "out", "type": "dense", "units": 3 }
  ] },
  "training": { "epochs": "20", "batchSize": 16 },
  "freezing": { "policy": "static", "layers": ["nope"], "atEpoch": 2 }
}`;
  const diags = checkExperimentText(text, path.join(IRIS_DIR, 'inline.experiment.json'));
  assert.deepEqual(diags.map((d) => [d.pointer, d.message]), [
    ['/data/test', `data file not found: ${path.join(IRIS_DIR, 'no-such-test.csv')}`],
    ['/model/inputShape', 'inputShape must be [4] for this data (iris.csv has 5 columns, the label in the last); got [5]'],
    ['/model/layers/0/activation', 'unknown activation "rellu" (did you mean "relu"?); expected one of relu, linear, softmax, sigmoid, tanh, gelu'],
    ['/training/epochs', 'epochs must be an integer, got "20" (a string)'],
  ]);
  // With the schema error fixed, the checks that read `training` run too (here: freezing).
  const fixed = checkExperimentText(text.replace('"20"', '20').replace('rellu', 'relu'), path.join(IRIS_DIR, 'inline.experiment.json'));
  assert.deepEqual(fixed.map((d) => d.pointer), ['/data/test', '/model/inputShape', '/freezing/layers/0']);
});

test('the data\'s header row and width are checked in the editor, before a run', () => {
  const exp = (data: Record<string, unknown>, inputShape: number[]) =>
    JSON.stringify({
      kind: 'train', name: 'iris', data: { format: 'csv', train: 'iris.csv', ...data },
      model: { inputShape, layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, training: { epochs: 2, batchSize: 8 },
    });
  const file = path.join(IRIS_DIR, 'inline.experiment.json');
  assert.deepEqual(checkExperimentText(exp({ header: true }, [4]), file), []);
  const noHeader = checkExperimentText(exp({}, [4]), file);
  assert.deepEqual(noHeader.map((d) => [d.pointer, d.severity]), [['/data/train', 'error']]);
  assert.match(noHeader[0].message, /^iris\.csv line 1: not a number in column 1: "Sepal\.Length" \(if this line names the columns, set "header": true\)$/);
  const labelFirst = checkExperimentText(exp({ header: true, label: 'first' }, [4]), file);
  assert.match(labelFirst[0].message, /^iris\.csv line 2: label 5\.1 in column 1 is not a class index/);
  const digits = path.resolve(__dirname, '../../../examples/digits/inline.experiment.json');
  const wide = checkExperimentText(exp({ train: 'digits.csv.gz', header: true }, [64]), digits);
  assert.deepEqual(wide.map((d) => [d.pointer, d.severity]), [['/data/header', 'warning']]);
  const narrow = checkExperimentText(exp({ train: 'digits.csv.gz' }, [63]), digits);
  assert.deepEqual(narrow.map((d) => d.message), ['inputShape must be [64] for this data (digits.csv.gz has 65 columns, the label in the last); got [63]']);
});

test('semantic checks on schema-invalid experiments never throw (structured mutations)', () => {
  const rng = createRng(77);
  const base = JSON.parse(ISSUE_EXAMPLE.replace('"smartfrz"', '"static", "layers": ["fc1"], "atEpoch": 1'));
  const junk: unknown[] = [null, 0, -1, 1.5, 'x', '', true, [], {}, [1], { type: 'dense' }, ['fc1', 'fc1']];
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]): void => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...p, i]));
    else if (typeof v === 'object' && v !== null) for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
  };
  walk(base, []);
  const file = path.resolve(__dirname, '../../../examples/digits/fuzz.experiment.json');
  for (let i = 0; i < 300; i++) {
    const exp = structuredClone(base);
    for (let m = 0; m <= rng.int(3); m++) {
      const p = paths[1 + rng.int(paths.length - 1)];
      let parent = exp;
      for (const k of p.slice(0, -1)) parent = parent?.[k];
      if (typeof parent !== 'object' || parent === null) continue;
      if (rng.int(3) === 0 && !Array.isArray(parent)) delete parent[p[p.length - 1]];
      else parent[p[p.length - 1]] = junk[rng.int(junk.length)];
    }
    const text = JSON.stringify(exp);
    const diags = checkExperimentText(text, file);
    for (const d of diags) assert.ok(d.message.length > 0 && d.start >= 0 && d.end <= text.length + 1, text);
  }
});

test('sizes have upper bounds, and a number too large to represent is called that (not "null")', () => {
  const experiment = (training: string, layer = '{"type":"dense","units":3}') =>
    `{"kind":"train","name":"x","data":{"format":"csv","train":"a"},"model":{"inputShape":[4],"layers":[${layer}]},"training":${training}}`;
  const messages = (text: string) => checkExperimentText(text, '').map((d) => `${d.pointer}: ${d.message}`);
  assert.deepEqual(messages(experiment('{"epochs":1e30,"batchSize":1e7}')), [
    '/training/epochs: epochs must be <= 100000, got 1e+30',
    '/training/batchSize: batchSize must be <= 65536, got 10000000',
  ]);
  assert.deepEqual(messages(experiment('{"epochs":1e999,"batchSize":4,"optimizer":{"type":"sgd","learningRate":1e999}}')), [
    '/training/epochs: epochs is too large to represent as a number (Infinity); it must be an integer',
    '/training/optimizer/learningRate: learningRate is too large to represent as a number (Infinity); it must be a number',
  ]);
  assert.deepEqual(messages(experiment('{"epochs":2,"batchSize":4}', '{"type":"dense","units":1e9}')), ['/model/layers/0/units: units must be <= 65536, got 1000000000']);
  assert.deepEqual(messages(experiment('{"epochs":2.5,"batchSize":4}')), ['/training/epochs: epochs must be an integer, got 2.5']);
  assert.deepEqual(messages(experiment('{"epochs":100000,"batchSize":65536}')), []);
});

test('minConvSimilarity, maxDriftRatio, driftSpan, convDriftSteps: smartfrz settings with a range; out of range or on another policy, a diagnostic at its line', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exp-conv-sim-'));
  try {
    await fs.copyFile(fixture('tiny.csv'), path.join(dir, 'tiny.csv'));
    const file = path.join(dir, 'c.experiment.json');
    const write = async (freezing: object) => {
      const text = JSON.stringify({
        kind: 'train', name: 'c', data: { format: 'csv', train: 'tiny.csv', label: 'last' },
        model: { inputShape: [4], layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: 3, activation: 'softmax' }] },
        training: { epochs: 1, batchSize: 2 }, freezing,
      }, null, 2);
      await fs.writeFile(file, text);
      return text;
    };
    /** `freezing` is refused with a diagnostic at `pointer`, on the line of `token` in the file. */
    const rejectsAt = async (freezing: object, pointer: string, token: string) => {
      const text = await write(freezing);
      const err = await rejectsUserError(loadExperimentFile(file));
      assert.equal(err.pointer, pointer);
      assert.equal(err.line, positionOf(text, token).line);
    };
    await write({ policy: 'smartfrz', minLayerSimilarity: 0.999, minConvSimilarity: 0.9999 });
    const ok = (await loadExperimentFile(file)).experiment as TrainExperiment;
    assert.equal(ok.freezing?.minConvSimilarity, 0.9999);
    await rejectsAt({ policy: 'smartfrz', minConvSimilarity: 1.5 }, '/freezing/minConvSimilarity', '1.5');
    await write({ policy: 'linear', minConvSimilarity: 0.9 });
    assert.match((await rejectsUserError(loadExperimentFile(file))).message, /unknown property "minConvSimilarity" in freezing/);
    // The drift signal's settings, likewise.
    await write({ policy: 'smartfrz', maxDriftRatio: 3, driftSpan: 8, convDriftSteps: 400 });
    const drift = (await loadExperimentFile(file)).experiment as TrainExperiment;
    assert.deepEqual([drift.freezing?.maxDriftRatio, drift.freezing?.driftSpan, drift.freezing?.convDriftSteps], [3, 8, 400]);
    await rejectsAt({ policy: 'smartfrz', maxDriftRatio: 3, convDriftSteps: 0 }, '/freezing/convDriftSteps', '"convDriftSteps"');
    await rejectsAt({ policy: 'smartfrz', minLayerSimilarity: 0.999, maxDriftRatio: 0 }, '/freezing/maxDriftRatio', '"maxDriftRatio"');
    await rejectsAt({ policy: 'smartfrz', driftSpan: 1 }, '/freezing/driftSpan', '"driftSpan"');
    await write({ policy: 'linear', maxDriftRatio: 3 });
    assert.match((await rejectsUserError(loadExperimentFile(file))).message, /unknown property "maxDriftRatio" in freezing/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
