import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/core/errors';
import { BuiltinProvider } from '../../src/core/extract/providers/builtin';
import { CAUSAL_SCHEMA } from '../../src/core/extract/schema';
import type { RunEvent } from '../../src/core/train/events';
import type { JobSink } from '../../src/runner/job';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import { readProvenance } from '../../src/runner/provenance';
import { createHash } from 'node:crypto';
import type { ExtractEvalSummary, ExtractTrainSummary } from '../../src/runner/summary';

const SAMPLE = path.join(__dirname, '../../examples/extraction/conll04-sample.json');
const CAUSAL_SAMPLE = path.join(__dirname, '../../examples/extraction/semeval8-sample.txt');

function sink(events: RunEvent[]): JobSink {
  return { event: (e) => events.push(e), log: () => undefined };
}

/** A folder with a small corpus split and an extract-train and an extract-eval experiment. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-runjob-'));
  const sentences = JSON.parse(readFileSync(SAMPLE, 'utf8')) as unknown[];
  writeFileSync(path.join(dir, 'train.json'), JSON.stringify(sentences.slice(0, 40)));
  writeFileSync(path.join(dir, 'dev.json'), JSON.stringify(sentences.slice(40)));
  writeFileSync(path.join(dir, 'mine.experiment.json'), JSON.stringify({
    kind: 'extract-train', name: 'mine', data: { format: 'conll04', train: 'train.json', dev: 'dev.json' },
    training: { taggerEpochs: 4, relationEpochs: 2, taggerEnsemble: 1, rnn: 8, batchSize: 8, learningRate: 0.01, minFeatureCount: 1 },
  }));
  writeFileSync(path.join(dir, 'eval.experiment.json'), JSON.stringify({
    kind: 'extract-eval', name: 'eval', data: 'dev.json', format: 'conll04', modelFile: '.model-lab/model/extractor.json',
  }));
  return dir;
}

test('extract-train runs through the runner: run record, progress events, summary, model; resumable after a cancel', async () => {
  const dir = workspace();
  try {
    const file = path.join(dir, 'mine.experiment.json');
    // Cancelled once the first tagger epoch is reported.
    const events: RunEvent[] = [];
    const cancelled = await runJob({ experimentFile: file }, sink(events), () => events.some((e) => e.type === 'progress' && e.fraction > 0));
    assert.equal(cancelled.status, 'cancelled');
    const record = await store.readRunRecord(cancelled.runDir);
    assert.equal(record?.kind, 'extract-train');
    assert.equal(record?.status, 'cancelled');
    assert.equal(record?.policy, 'extract-train');
    assert.equal((await store.readSummary(cancelled.runDir))?.status, 'cancelled');

    const resumedEvents: RunEvent[] = [];
    const done = (await runJob({ experimentFile: '', resumeDir: cancelled.runDir }, sink(resumedEvents), () => false)) as ExtractTrainSummary;
    assert.equal(done.status, 'completed');
    assert.equal(done.kind, 'extract-train');
    assert.equal(done.runDir, cancelled.runDir);
    assert.equal(done.modelFile, path.join(cancelled.runDir, 'model', 'extractor.json'));
    assert.ok(existsSync(done.modelFile!));
    assert.equal(done.dev?.sentences, 10);
    const fractions = resumedEvents.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    assert.deepEqual([fractions[0], fractions[fractions.length - 1]], [0, 1]);
    assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), `progress goes forward: ${fractions}`);
    const finished = await store.readRunRecord(done.runDir);
    assert.equal(finished?.status, 'completed');
    assert.deepEqual(finished?.score, { name: 'dev entity F1', value: done.dev!.entity.f1 });
    assert.deepEqual(await store.readSummary(done.runDir), done);
    await assert.rejects(runJob({ experimentFile: '', resumeDir: done.runDir }, sink([]), () => false), /already completed/);

    // The retrained model evaluated by an extract-eval experiment scores about what training reported.
    writeFileSync(path.join(dir, 'eval.experiment.json'), JSON.stringify({
      kind: 'extract-eval', name: 'eval', data: 'dev.json', format: 'conll04', modelFile: path.relative(dir, done.modelFile!),
    }));
    const evaluated = (await runJob({ experimentFile: path.join(dir, 'eval.experiment.json') }, sink([]), () => false)) as ExtractEvalSummary;
    assert.equal(evaluated.status, 'completed');
    const [got, want] = [evaluated.scores!, done.dev!];
    assert.deepEqual([got.sentences, got.entity.gold, got.relation.gold], [want.sentences, want.entity.gold, want.relation.gold]);
    assert.ok(want.entity.predicted > 0, 'the retrained model predicts entities');
    // Training scores tokens before the weights are quantised for saving; evaluation goes through text and grounding.
    assert.ok(Math.abs(got.entity.predicted - want.entity.predicted) <= 2, `${got.entity.predicted} vs ${want.entity.predicted}`);
    assert.ok(Math.abs(got.entity.f1 - want.entity.f1) <= 0.05, `${got.entity.f1} vs ${want.entity.f1}`);

    // Both kinds record provenance: the training run its start and its resume, the evaluation the model it scored.
    const trained = await readProvenance(done.runDir);
    assert.deepEqual(trained?.files.map((f) => f.pointer), ['/data/train', '/data/dev']);
    assert.equal(trained?.seed, 1);
    assert.equal(trained?.resumes?.length, 1);
    assert.ok(trained?.backend && trained.resumes?.[0].backend);
    const scored = await readProvenance(evaluated.runDir);
    assert.deepEqual(scored?.files.find((f) => f.pointer === '/modelFile')?.sha256, createHash('sha256').update(readFileSync(done.modelFile!)).digest('hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract-eval runs through the runner with the shipped model; a missing model file is named', async () => {
  const dir = workspace();
  try {
    const shipped = (await runJob({ experimentFile: path.join(__dirname, '../fixtures/runner/extract-eval.experiment.json'), outRoot: dir }, sink([]), () => false)) as ExtractEvalSummary;
    assert.equal(shipped.status, 'completed');
    assert.equal(shipped.provider, 'builtin');
    assert.equal(shipped.scores?.sentences, 8);
    // The shipped model was trained on CoNLL04, which these sample sentences come from.
    assert.ok(shipped.scores!.entity.f1 > 0.8, `entity F1 ${shipped.scores!.entity.f1}`);
    assert.deepEqual((await store.readRunRecord(shipped.runDir))?.score, { name: 'entity F1', value: shipped.scores!.entity.f1 });

    // A model file that does not exist is named with its field and line.
    await assert.rejects(
      runJob({ experimentFile: path.join(dir, 'eval.experiment.json') }, sink([]), () => false),
      (e: unknown) => e instanceof UserError && e.pointer === '/modelFile' && e.line === 1,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract-eval with format semeval8 scores the shipped causal model through the runner', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-runjob-causal-'));
  try {
    const done = (await runJob({ experimentFile: path.join(__dirname, '../../examples/extraction/causal-eval.experiment.json'), outRoot: dir }, sink([]), () => false)) as ExtractEvalSummary;
    assert.equal(done.status, 'completed');
    assert.equal(done.scores, undefined);
    const c = done.causal!;
    assert.equal(c.sentences, 16);
    assert.ok(c.causal.f1 >= 0.6 && c.macroF1 > 0, JSON.stringify(c));
    assert.ok(c.rationale.comprehensiveness > c.rationale.randomComprehensiveness, JSON.stringify(c.rationale));
    assert.deepEqual((await store.readRunRecord(done.runDir))?.score, { name: 'official macro-F1', value: c.macroF1 });
    assert.deepEqual(await store.readSummary(done.runDir), done);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extract-train with format semeval8 trains a causal model through the runner; it loads and extracts', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-runjob-causal-train-'));
  try {
    writeFileSync(path.join(dir, 'causal.experiment.json'), JSON.stringify({
      kind: 'extract-train', name: 'causal', data: { format: 'semeval8', train: CAUSAL_SAMPLE, dev: CAUSAL_SAMPLE },
      training: { taggerEpochs: 1, relationEpochs: 2 },
    }));
    const events: RunEvent[] = [];
    const done = (await runJob({ experimentFile: path.join(dir, 'causal.experiment.json') }, sink(events), () => false)) as ExtractTrainSummary;
    assert.equal(done.status, 'completed');
    assert.equal(done.modelFile, path.join(done.runDir, 'model', 'causal.json'));
    assert.equal(done.causal?.sentences, 16);
    assert.equal(done.dev, undefined);
    const messages = events.flatMap((e) => (e.type === 'progress' ? [e.message ?? ''] : []));
    assert.ok(messages.some((m) => /relation classifier epoch 2\/2/.test(m)) && messages.some((m) => /nominal tagger epoch 1\/1/.test(m)), messages.join(' | '));
    assert.ok(messages.some((m) => /rationale selector epoch 3\/3/.test(m)), messages.join(' | '));
    const fractions = events.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
    assert.ok(fractions.every((f) => f >= 0 && f <= 1), fractions.join(' '));
    // The trained model's rationale module is its learned selector.
    const meta = JSON.parse(readFileSync(done.modelFile, 'utf8')) as { selector?: { features: string[] } };
    assert.ok(meta.selector && meta.selector.features.length > 0);
    const provider = await BuiltinProvider.create({ modelFile: done.modelFile });
    try {
      const r = await provider.extract('The fire was caused by a faulty heater.', CAUSAL_SCHEMA);
      assert.equal(r.ungrounded, 0);
      for (const e of r.entities) assert.ok(['Cause', 'Effect'].includes(e.type));
    } finally {
      provider.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reward-compare experiment is not a run: the runner says where it runs', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-runjob-'));
  try {
    writeFileSync(path.join(dir, 'w.rewards.json'), '{}');
    writeFileSync(path.join(dir, 'rc.experiment.json'), '{"kind": "reward-compare", "name": "rc", "rewards": "w.rewards.json"}');
    await assert.rejects(
      runJob({ experimentFile: path.join(dir, 'rc.experiment.json') }, sink([]), () => false),
      (e: unknown) => e instanceof UserError && /heatmap panel/.test(e.message) && e.pointer === '/kind',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an extract-train output folder that cannot be created is a user error before any training', async () => {
  const dir = workspace();
  try {
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const file = path.join(dir, 'out.experiment.json');
    writeFileSync(file, JSON.stringify({ kind: 'extract-train', name: 'out', data: { format: 'conll04', train: 'train.json' }, output: 'a-file/model', training: { taggerEpochs: 1, relationEpochs: 1, taggerEnsemble: 1 } }));
    const events: RunEvent[] = [];
    await assert.rejects(
      runJob({ experimentFile: file }, sink(events), () => false),
      (e: unknown) => e instanceof UserError && e.pointer === '/output' && /cannot write the model to .*a-file\/model: .*a-file is a file, not a folder/.test(e.message),
    );
    assert.ok(!events.some((e) => e.type === 'progress' && e.fraction > 0), 'no training happened');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
