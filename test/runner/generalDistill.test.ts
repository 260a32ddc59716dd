import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile } from '../../src/core/experiment/load';
import type { RunEvent } from '../../src/core/train/events';
import { createRng } from '../../src/core/util/random';
import { startDetachedRun } from '../../src/runner/detachedRun';
import type { JobSink } from '../../src/runner/job';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import type { DistillSummary, TrainSummary } from '../../src/runner/summary';
import { waitFor } from './helpers/processes';

/**
 * Masked-LM pretraining of a teacher's encoder (a train run's `pretrain`) and general
 * distillation from it (a distill run's `general`), end to end on a small generated corpus with
 * real training and real run processes (issue 14, round 10): the losses fall, the summaries
 * record both phases, and a run process killed (SIGKILL) in the middle of either phase resumes
 * from its checkpoint and ends where an uninterrupted run ends.
 */

const WORKER = path.join(__dirname, '../../dist/runWorker.js');
const LENGTH = 10;
/** Steps per epoch of both phases: 480 sentences in batches of 32. */
const PER_EPOCH = 15;

/**
 * Reviews from a small grammar: "the film was really great and i loved it". The sentiment words
 * (adjective, verb) agree with the label, so the text itself has structure to learn without labels.
 */
function corpus(n: number, seed: number): string {
  const rng = createRng(seed);
  const pick = (xs: string[]) => xs[rng.int(xs.length)];
  const det = ['the', 'this', 'that', 'our'];
  const noun = ['film', 'movie', 'story', 'plot', 'cast', 'score', 'script', 'ending'];
  const verb = ['is', 'was', 'seems', 'felt'];
  const adv = ['very', 'quite', 'really', 'truly', 'so'];
  const adj = [['bad', 'awful', 'dull', 'poor', 'boring', 'weak'], ['good', 'great', 'fine', 'superb', 'lovely', 'brilliant']];
  const feel = [['hated', 'disliked', 'regretted'], ['loved', 'enjoyed', 'liked']];
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.int(2);
    const words = [pick(det), pick(noun), pick(verb), pick(adv), pick(adj[label])];
    if (rng.next() < 0.7) words.push('and', 'i', pick(feel[label]), 'it');
    rows.push(JSON.stringify({ text: words.join(' '), label }));
  }
  return rows.join('\n') + '\n';
}

const TEACHER = (pretrainEpochs: number) => ({
  kind: 'train', name: 'teacher',
  data: { format: 'jsonl', train: 'train.jsonl', test: 'test.jsonl', maxLength: LENGTH, vocabSize: 200 },
  model: {
    inputShape: [LENGTH],
    layers: [
      { name: 'embed', type: 'embedding', outputDim: 16 },
      { name: 'enc1', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0.1 },
      { name: 'enc2', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0.1 },
      { name: 'pool', type: 'globalAveragePooling1d' },
      { name: 'out', type: 'dense', units: 2, activation: 'softmax' },
    ],
  },
  training: { epochs: 2, batchSize: 32, seed: 1 },
  freezing: { policy: 'none' },
  pretrain: { objective: 'mlm', epochs: pretrainEpochs, batchSize: 32, learningRate: 0.003 },
});

const DISTILL = (generalEpochs: number) => ({
  kind: 'distill', name: 'general', teacher: 'teacher.experiment.json',
  student: { layers: [
    { name: 's_embed', type: 'embedding', outputDim: 8 },
    { name: 's_enc', type: 'transformerEncoder', numHeads: 2, ffDim: 16, rate: 0.1 },
    { name: 's_pool', type: 'globalAveragePooling1d' },
    { name: 's_out', type: 'dense', units: 2, activation: 'softmax' },
  ] },
  arms: ['kd', { name: 'kd+general', method: 'kd', general: true }, 'tinybert'],
  training: { epochs: 10, batchSize: 32, seed: 2, temperature: 1 },
  tinybert: { intermediateEpochs: 1, predictionEpochs: 10, predictionLearningRate: 0.001 },
  general: { epochs: generalEpochs },
});

function sink(events: RunEvent[] = []): JobSink {
  return { event: (e) => events.push(e), log: () => undefined };
}

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-general-'));
  writeFileSync(path.join(dir, 'train.jsonl'), corpus(480, 1));
  writeFileSync(path.join(dir, 'test.jsonl'), corpus(120, 2));
  return dir;
}

function write(dir: string, file: string, exp: object): string {
  writeFileSync(path.join(dir, file), JSON.stringify(exp));
  return path.join(dir, file);
}

/** A session checkpoint's position (undefined until written). */
function position(dir: string): { stageIndex: number; stageStep: number } | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'session.json'), 'utf8')) as { position: { stageIndex: number; stageStep: number } }).position;
  } catch {
    return undefined;
  }
}

/** Starts `file` in its own run process, kills it (SIGKILL) once `checkpointDir` holds a checkpoint past `after` steps, and returns the run folder. */
async function killedMidStage(dir: string, file: string, checkpointDir: (runDir: string) => string, after: number): Promise<{ runDir: string; at: { stageIndex: number; stageStep: number } }> {
  const run = startDetachedRun({ experiment: await loadExperimentFile(file), outRoot: path.join(dir, '.model-lab', 'runs'), workerScript: WORKER });
  let killedBy: NodeJS.Signals | null | undefined;
  run.child.once('exit', (_code, signal) => (killedBy = signal));
  await waitFor(() => (position(checkpointDir(run.runDir))?.stageStep ?? 0) >= after, `a checkpoint past step ${after}`, 180_000);
  process.kill(run.child.pid!, 'SIGKILL');
  assert.deepEqual(await waitFor(() => killedBy !== undefined && { signal: killedBy }, 'the killed run process to exit'), { signal: 'SIGKILL' });
  assert.equal((await store.readRunRecord(run.runDir))?.status, 'interrupted');
  return { runDir: run.runDir, at: position(checkpointDir(run.runDir))! };
}

/** Means of the first and last `k` values. */
function ends(xs: number[], k = 3): [number, number] {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return [mean(xs.slice(0, k)), mean(xs.slice(-k))];
}

test('masked-LM pretraining then fine-tuning in one train run: the masked-word loss falls, the encoder is saved, the summary records it; killed mid-pretraining, the run resumes bit-identically', async () => {
  assert.ok(existsSync(WORKER), `build first: ${WORKER} is missing (npm run build)`);
  const dir = workspace();
  try {
    // 20 epochs (300 steps): the kill after the first epoch's checkpoint lands well inside the phase.
    const events: RunEvent[] = [];
    const whole = (await runJob({ experimentFile: write(dir, 'whole.experiment.json', TEACHER(20)) }, sink(events), () => false)) as TrainSummary;
    assert.equal(whole.status, 'completed');
    assert.ok(whole.pretrain, 'summary.pretrain');
    assert.equal(whole.pretrain.steps, 20 * PER_EPOCH);
    assert.equal(whole.pretrain.encoder, path.join('pretrain', 'encoder', 'model.json'));
    assert.ok(existsSync(path.join(whole.runDir, whole.pretrain.encoder)));
    assert.ok(!existsSync(path.join(whole.runDir, 'pretrain', 'checkpoint')), 'the phase removes its checkpoint when done');
    const losses = events.flatMap((e) => (e.type === 'pretrain-step' ? [e.metrics.loss] : []));
    assert.equal(losses.length, 20 * PER_EPOCH);
    const [first, last] = ends(losses, PER_EPOCH);
    // ~ln(vocabulary) at the start.
    assert.ok(first > 3 && last < first - 0.5, `masked-word loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    const tests = events.flatMap((e) => (e.type === 'pretrain-step' && e.metrics.testAccuracy !== undefined ? [e.metrics.testAccuracy] : []));
    assert.equal(tests.length, 20, 'held-out masked-word accuracy after every epoch');
    assert.ok(tests[19] > tests[0] + 0.1 && whole.pretrain.testAccuracy === tests[19], `held-out masked-word accuracy ${tests[0]} -> ${tests[19]}`);
    // Pretraining comes first, then the classifier's epochs; the labels are easy from there.
    const endAt = events.findIndex((e) => e.type === 'pretrain-end');
    assert.ok(endAt >= 0 && endAt < events.findIndex((e) => e.type === 'epoch'));
    assert.ok(whole.metrics.accuracy > 0.75, `fine-tuned accuracy ${whole.metrics.accuracy}`);

    const file = write(dir, 'killed.experiment.json', TEACHER(20));
    const { runDir, at } = await killedMidStage(dir, file, (r) => path.join(r, 'pretrain', 'checkpoint'), PER_EPOCH);
    assert.ok(at.stageStep >= PER_EPOCH && at.stageStep < 20 * PER_EPOCH, `killed at ${JSON.stringify(at)}`);
    assert.ok(!existsSync(path.join(runDir, 'pretrain', 'encoder')), 'killed before the phase ended');
    const resumed: RunEvent[] = [];
    const done = (await runJob({ experimentFile: '', resumeDir: runDir }, sink(resumed), () => false)) as TrainSummary;
    assert.equal(done.status, 'completed');
    const firstStep = resumed.find((e) => e.type === 'pretrain-step');
    assert.ok(firstStep?.type === 'pretrain-step' && firstStep.step === at.stageStep + 1, `resumed at ${JSON.stringify(firstStep)}`);
    // Masks from the checkpointed generator, seeded dropout: the same encoder, bit for bit, and the same classifier.
    const weights = (r: string) => readFileSync(path.join(r, 'pretrain', 'encoder', 'weights.bin'));
    assert.ok(weights(runDir).equals(weights(whole.runDir)), 'the resumed encoder is the uninterrupted one');
    assert.ok(readFileSync(path.join(runDir, 'model', 'weights.bin')).equals(readFileSync(path.join(whole.runDir, 'model', 'weights.bin'))));
    assert.equal(done.metrics.accuracy, whole.metrics.accuracy);
    assert.deepEqual({ ...done.pretrain, trainSeconds: 0 }, { ...whole.pretrain, trainSeconds: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('general distillation from the pretrained encoder: its loss falls, the summary records it, tinybert and kd+general start from its student; killed mid-phase, the run resumes and ends where an uninterrupted run ends', async () => {
  assert.ok(existsSync(WORKER), `build first: ${WORKER} is missing (npm run build)`);
  const dir = workspace();
  try {
    assert.equal((await runJob({ experimentFile: write(dir, 'teacher.experiment.json', TEACHER(3)) }, sink(), () => false)).status, 'completed');
    const events: RunEvent[] = [];
    const whole = (await runJob({ experimentFile: write(dir, 'whole.experiment.json', DISTILL(20)) }, sink(events), () => false)) as DistillSummary;
    assert.equal(whole.status, 'completed');
    assert.deepEqual(whole.arms.map((a) => a.name), ['kd', 'kd+general', 'tinybert']);
    const g = whole.general;
    assert.ok(g, 'summary.general');
    assert.deepEqual([g.epochs, g.steps, g.arms], [20, 20 * PER_EPOCH, ['kd+general', 'tinybert']]);
    assert.ok(g.trainSeconds > 0 && g.lastLoss < g.firstLoss * 0.5, `general loss ${g.firstLoss} -> ${g.lastLoss}`);
    assert.deepEqual(await store.readSummary(whole.runDir), whole, 'summary.json is the --json document');
    // The phase's losses: embedding, hidden-state and attention MSE against the pretrained encoder, each falling.
    const steps = events.flatMap((e) => (e.type === 'distill-step' && e.arm === 'general' ? [e] : []));
    assert.ok(steps.length > 0 && steps.every((e) => e.stage === 'general'));
    for (const k of ['embedding', 'hidden', 'attention']) {
      const [first, last] = ends(steps.map((e) => e.metrics[k]));
      assert.ok(last < first, `${k}: ${first} -> ${last}`);
    }
    const start = events.find((e) => e.type === 'distill-start');
    assert.ok(start?.type === 'distill-start' && start.general === true);
    assert.ok(existsSync(path.join(whole.runDir, 'model', 'general', 'model.json')), 'the general student is saved');
    // Every arm learns the task (the teacher: ~83%); the general student is no worse a start for KD.
    const acc = Object.fromEntries(whole.arms.map((a) => [a.name, a.accuracy]));
    assert.ok(acc['kd+general'] >= acc.kd - 0.05 && acc.tinybert > 0.8, JSON.stringify(acc));

    // Killed after the checkpoint of the phase's first epoch; resumed in this process.
    const file = write(dir, 'killed.experiment.json', DISTILL(20));
    const { runDir, at } = await killedMidStage(dir, file, (r) => path.join(r, 'checkpoint', 'general'), PER_EPOCH);
    assert.ok(at.stageStep >= PER_EPOCH && at.stageStep < 20 * PER_EPOCH, `killed at ${JSON.stringify(at)}`);
    assert.ok(!existsSync(path.join(runDir, 'model', 'general')), 'killed before the phase ended');
    const resumed: RunEvent[] = [];
    const done = (await runJob({ experimentFile: '', resumeDir: runDir }, sink(resumed), () => false)) as DistillSummary;
    assert.equal(done.status, 'completed');
    const firstStep = resumed.find((e) => e.type === 'distill-step');
    assert.ok(firstStep?.type === 'distill-step' && firstStep.arm === 'general' && firstStep.stageStep > at.stageStep, `resumed at ${JSON.stringify(firstStep)}`);
    for (const [i, a] of done.arms.entries()) {
      assert.equal(a.name, whole.arms[i].name);
      assert.ok(Math.abs(a.accuracy - whole.arms[i].accuracy) <= 0.005, `${a.name}: resumed ${a.accuracy} vs uninterrupted ${whole.arms[i].accuracy}`);
    }
    // Checkpoints are bit-exact: the general student itself is the uninterrupted one's.
    const w = (r: string) => readFileSync(path.join(r, 'model', 'general', 'weights.bin'));
    assert.ok(w(runDir).equals(w(whole.runDir)), 'the resumed general student is the uninterrupted one');
    assert.deepEqual({ ...done.general, trainSeconds: 0 }, { ...whole.general, trainSeconds: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
