import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DistillEvent, RunEvent } from '../../src/core/train/events';
import type { JobSink } from '../../src/runner/job';
import { lossText } from '../../src/runner/distillJob';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import type { DistillSummary } from '../../src/runner/summary';
import { loadExperimentFile } from '../../src/core/experiment/load';
import { startDetachedRun } from '../../src/runner/detachedRun';
import { RunFollower } from '../../src/runner/runFollower';
import { waitFor } from './helpers/processes';

/**
 * The `distill` kind through the runner (issue 14): a real teacher trained here (the shipped
 * 8x8 digits, split into a train and a test file), then distill runs of every data arm against
 * it. Small settings: the runs prove the plumbing and the ordering the arms must keep, not the
 * studies' numbers (those are `docs/distillation.md`'s, from the Fashion-MNIST example).
 */

const DIGITS = path.join(__dirname, '../../examples/digits/digits.csv.gz');

function sink(events: RunEvent[] = []): JobSink {
  return { event: (e) => events.push(e), log: () => undefined };
}

/** A folder with digits as train.csv / test.csv and a batch-norm MLP teacher experiment. */
function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-distill-'));
  const rows = gunzipSync(readFileSync(DIGITS)).toString('utf8').trim().split('\n');
  writeFileSync(path.join(dir, 'train.csv'), rows.filter((_, i) => i % 5 !== 0).join('\n') + '\n');
  writeFileSync(path.join(dir, 'test.csv'), rows.filter((_, i) => i % 5 === 0).join('\n') + '\n');
  writeFileSync(path.join(dir, 'teacher.experiment.json'), JSON.stringify({
    kind: 'train', name: 'teacher',
    data: { format: 'csv', train: 'train.csv', test: 'test.csv', label: 'last', scale: 16 },
    model: {
      inputShape: [64],
      layers: [
        { name: 'fc1', type: 'dense', units: 96, activation: 'relu' },
        { name: 'bn1', type: 'batchNormalization' },
        { name: 'fc2', type: 'dense', units: 96, activation: 'relu' },
        { name: 'bn2', type: 'batchNormalization' },
        { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
      ],
    },
    training: { epochs: 8, batchSize: 32, seed: 1 },
    freezing: { policy: 'none' },
  }));
  return dir;
}

function distillExperiment(dir: string, file: string, arms: unknown[], extra: Record<string, unknown> = {}): string {
  const p = path.join(dir, file);
  writeFileSync(p, JSON.stringify({
    kind: 'distill', name: path.basename(file, '.experiment.json'), teacher: 'teacher.experiment.json',
    student: { layers: [{ name: 's1', type: 'dense', units: 12, activation: 'relu' }, { name: 'sout', type: 'dense', units: 10, activation: 'softmax' }] },
    arms,
    training: { epochs: 6, batchSize: 32, seed: 3, temperature: 4 },
    synthesis: { samples: 256, batchSize: 128, steps: 30, learningRate: 0.05 },
    dafl: { steps: 40, batchSize: 64 },
    ...extra,
  }));
  return p;
}

async function withTeacher(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = workspace();
  try {
    const t = await runJob({ experimentFile: path.join(dir, 'teacher.experiment.json') }, sink(), () => false);
    assert.equal(t.status, 'completed');
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("progress lines name the step's loss: ADI's student steps between batches report studentKd, not a missing loss (NaN)", () => {
  assert.equal(lossText({ loss: 438.97237, ce: 7.05 }), ' · loss 438.9724');
  assert.equal(lossText({ studentKd: 1.92738 }), ' · studentKd 1.9274');
  assert.equal(lossText({ accuracy: 0.7 }), '');
});

test('a distill run: teacher and every arm in summary.json and the CLI document, students saved, KD beats noise', async () => {
  await withTeacher(async (dir) => {
    const file = distillExperiment(dir, 'all.experiment.json', ['student', 'kd', 'noise', 'deepinversion', { name: 'di-no-bn', method: 'deepinversion', synthesis: { bnWeight: 0 } }, 'dafl']);
    const events: RunEvent[] = [];
    const s = (await runJob({ experimentFile: file }, sink(events), () => false)) as DistillSummary;
    assert.equal(s.status, 'completed');
    assert.equal(s.kind, 'distill');
    assert.deepEqual(await store.readSummary(s.runDir), s, 'summary.json is the --json document');
    assert.deepEqual(s.arms.map((a) => a.name), ['student', 'kd', 'noise', 'deepinversion', 'di-no-bn', 'dafl']);
    assert.ok(s.teacher.accuracy > 0.9, `teacher ${s.teacher.accuracy}`);
    // 64*96+96 + 4*96 + 96*96+96 + 4*96 + 96*10+10
    assert.equal(s.teacher.parameters, 6240 + 384 + 9312 + 384 + 970);
    for (const a of s.arms) {
      assert.equal(a.parameters, 64 * 12 + 12 + 12 * 10 + 10, a.name);
      assert.ok(a.accuracy >= 0 && a.accuracy <= 1, `${a.name} ${a.accuracy}`);
      assert.ok(a.msPerExample > 0 && Number.isFinite(a.msPerExample), `${a.name} ms ${a.msPerExample}`);
      assert.ok(a.trainSeconds > 0, a.name);
      assert.ok(existsSync(path.join(s.runDir, 'model', a.name.replace(/[^A-Za-z0-9._-]+/g, '_'), 'model.json')), `${a.name} saved`);
    }
    const acc = Object.fromEntries(s.arms.map((a) => [a.name, a.accuracy]));
    // Real data carries what noise cannot: the ordering every data-free paper starts from.
    assert.ok(acc.kd > acc.noise + 0.3, `kd ${acc.kd} vs noise ${acc.noise}`);
    assert.ok(acc.student > acc.noise + 0.3, `student ${acc.student} vs noise ${acc.noise}`);
    const record = await store.readRunRecord(s.runDir);
    assert.equal(record?.kind, 'distill');
    assert.equal(record?.status, 'completed');
    assert.equal(record?.epochsDone, 6);
    // The events a panel draws from: the plan, loss points per stage, and each arm's outputs.
    const distill = events.filter((e): e is DistillEvent => e.type.startsWith('distill-'));
    const startEvent = distill.find((e) => e.type === 'distill-start');
    assert.ok(startEvent && startEvent.type === 'distill-start');
    assert.deepEqual(startEvent.teacher.batchNormLayers, ['bn1', 'bn2']);
    const stages = new Set(distill.flatMap((e) => (e.type === 'distill-step' ? [`${e.arm}/${e.stage}`] : [])));
    for (const st of ['student/supervised', 'kd/prediction', 'noise/distillation', 'deepinversion/synthesis', 'deepinversion/distillation', 'dafl/generator', 'dafl/distillation']) {
      assert.ok(stages.has(st), `loss points of ${st}: ${[...stages]}`);
    }
    const di = distill.find((e) => e.type === 'distill-arm' && e.arm === 'deepinversion');
    assert.ok(di && di.type === 'distill-arm');
    assert.deepEqual(di.batchNormMatch?.map((m) => m.layer), ['bn1', 'bn2']);
    assert.ok((di.gallery ?? []).length > 0 && di.gallery!.every((g) => g.values.length === 64));
    // The BN term is what makes synthetic inputs look like the data to the teacher's batch norm.
    const noBn = distill.find((e) => e.type === 'distill-arm' && e.arm === 'di-no-bn');
    assert.ok(noBn && noBn.type === 'distill-arm');
    assert.ok(di.batchNormMatch![0].mean < noBn.batchNormMatch![0].mean, `bn1 mean gap ${di.batchNormMatch![0].mean} < ${noBn.batchNormMatch![0].mean}`);
    // The panel's "before": the same gaps on Gaussian noise, which synthesis starts from and narrows.
    assert.deepEqual(di.batchNormBefore?.map((m) => m.layer), ['bn1', 'bn2']);
    for (const [i, m] of di.batchNormMatch!.entries()) assert.ok(m.mean < di.batchNormBefore![i].mean, `${m.layer}: ${m.mean} < noise ${di.batchNormBefore![i].mean}`);
    assert.deepEqual(startEvent.imageShape, [8, 8, 1], 'digits are drawn as 8x8 images');
  });
});

test('data-free arms never read the training split; an arm that needs it says so', async () => {
  await withTeacher(async (dir) => {
    rmSync(path.join(dir, 'train.csv'));
    const free = distillExperiment(dir, 'free.experiment.json', ['noise', 'deepinversion', 'dafl']);
    const s = (await runJob({ experimentFile: free }, sink(), () => false)) as DistillSummary;
    assert.equal(s.status, 'completed');
    assert.deepEqual(s.arms.map((a) => a.name), ['noise', 'deepinversion', 'dafl']);
    const kd = distillExperiment(dir, 'kd.experiment.json', ['kd']);
    await assert.rejects(runJob({ experimentFile: kd }, sink(), () => false), /train\.csv/);
    // The failed run stays in the run store with its error.
    const failed = (await store.listRuns(path.join(dir, '.model-lab', 'runs'))).filter((r) => r.kind === 'distill' && r.status === 'failed');
    assert.equal(failed.length, 1);
    assert.match(failed[0].error?.message ?? '', /train\.csv/);
  });
});

test('a distill run stopped in the middle of a stage resumes in that arm and stage and ends where an uninterrupted run ends', async () => {
  await withTeacher(async (dir) => {
    // DeepInversion's KD on fresh views of its synthetic set (mixup): its random draws come back with the session.
    const arms = ['kd', { method: 'deepinversion', synthesis: { mixup: true, jitter: 1, clip: [0, 1] } }];
    const whole = (await runJob({ experimentFile: distillExperiment(dir, 'whole.experiment.json', arms) }, sink(), () => false)) as DistillSummary;
    assert.equal(whole.status, 'completed');

    const file = distillExperiment(dir, 'stopped.experiment.json', arms);
    const events: RunEvent[] = [];
    // Stop inside DeepInversion's synthesis, in its second batch (steps 30..59), after kd finished.
    const stopped = await runJob({ experimentFile: file }, sink(events), () =>
      events.some((e) => e.type === 'distill-step' && e.arm === 'deepinversion' && e.stage === 'synthesis' && e.stageStep >= 40));
    assert.equal(stopped.status, 'cancelled');
    const record = await store.readRunRecord(stopped.runDir);
    assert.equal(record?.status, 'cancelled');
    assert.equal(record?.epochsDone, 1, 'kd finished before the stop');
    assert.deepEqual((stopped as DistillSummary).arms.map((a) => a.name), ['kd']);

    const resumedEvents: RunEvent[] = [];
    const done = (await runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink(resumedEvents), () => false)) as DistillSummary;
    assert.equal(done.status, 'completed');
    const first = resumedEvents.find((e) => e.type === 'distill-step');
    assert.ok(first && first.type === 'distill-step');
    assert.equal(first.arm, 'deepinversion', 'kd is not run again');
    assert.equal(first.stage, 'synthesis');
    assert.ok(first.stageStep > 40, `resumed at synthesis step ${first.stageStep}`);
    for (const [i, a] of done.arms.entries()) {
      assert.equal(a.name, whole.arms[i].name);
      assert.ok(Math.abs(a.accuracy - whole.arms[i].accuracy) <= 0.005, `${a.name}: resumed ${a.accuracy} vs uninterrupted ${whole.arms[i].accuracy}`);
    }
  });
});

test('TinyBERT arms on a transformer teacher: layer map, intermediate losses, teacher-labelled augmented copies', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-distill-text-'));
  try {
    const text = path.join(__dirname, '../../examples/text');
    writeFileSync(path.join(dir, 'teacher.experiment.json'), JSON.stringify({
      kind: 'train', name: 'teacher',
      data: { format: 'jsonl', train: path.join(text, 'fortunes-train.jsonl'), test: path.join(text, 'fortunes-test.jsonl'), maxLength: 16, vocabSize: 1500 },
      model: {
        inputShape: [16],
        layers: [
          { name: 'embed', type: 'embedding', outputDim: 16 },
          { name: 'enc1', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0 },
          { name: 'enc2', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0 },
          { name: 'pool', type: 'globalAveragePooling1d' },
          { name: 'out', type: 'dense', units: 6, activation: 'softmax' },
        ],
      },
      training: { epochs: 1, batchSize: 64, seed: 1 },
      freezing: { policy: 'none' },
    }));
    assert.equal((await runJob({ experimentFile: path.join(dir, 'teacher.experiment.json') }, sink(), () => false)).status, 'completed');
    const file = path.join(dir, 'tb.experiment.json');
    writeFileSync(file, JSON.stringify({
      kind: 'distill', name: 'tb', teacher: 'teacher.experiment.json',
      student: { layers: [
        { name: 's_embed', type: 'embedding', outputDim: 8 },
        { name: 's_enc', type: 'transformerEncoder', numHeads: 2, ffDim: 16, rate: 0 },
        { name: 's_pool', type: 'globalAveragePooling1d' },
        { name: 's_out', type: 'dense', units: 6, activation: 'softmax' },
      ] },
      arms: ['tinybert', 'tinybert+aug'],
      training: { epochs: 1, batchSize: 64, seed: 2 },
      tinybert: { intermediateEpochs: 1, predictionEpochs: 1 },
      augment: { source: 'teacher-neighbours', copies: 1, probability: 0.3 },
    }));
    const events: RunEvent[] = [];
    const s = (await runJob({ experimentFile: file }, sink(events), () => false)) as DistillSummary;
    assert.equal(s.status, 'completed');
    assert.deepEqual(s.arms.map((a) => a.name), ['tinybert', 'tinybert+aug']);
    assert.ok(s.arms.every((a) => a.parameters * 4 < s.teacher.parameters || a.parameters < s.teacher.parameters), 'the student is smaller');
    const armEvents = events.filter((e) => e.type === 'distill-arm');
    for (const e of armEvents) {
      assert.ok(e.type === 'distill-arm');
      // Uniform map k = 2: embedding <- embedding, the one student layer <- teacher layer 2.
      assert.deepEqual(e.layerMap, [{ student: 's_embed', teacher: 'embed' }, { student: 's_enc', teacher: 'enc2' }]);
    }
    const aug = armEvents[1];
    assert.ok(aug.type === 'distill-arm');
    // At most one new copy per training text (a copy equal to its original is dropped).
    assert.ok(aug.examples! > 1027 / 2 && aug.examples! <= 1027, `augmented copies: ${aug.examples}`);
    const intermediate = events.find((e) => e.type === 'distill-step' && e.arm === 'tinybert' && e.stage === 'intermediate');
    assert.ok(intermediate && intermediate.type === 'distill-step');
    for (const k of ['embedding', 'hidden', 'attention']) assert.ok(Number.isFinite(intermediate.metrics[k]) && intermediate.metrics[k] > 0, `${k}: ${intermediate.metrics[k]}`);
    // Each pair's MSE, named by its student layer (the editor's per-layer hint): the embedding pair is `embedding`.
    assert.equal(intermediate.metrics['hidden:s_embed'], intermediate.metrics.embedding);
    assert.ok(intermediate.metrics['hidden:s_enc'] > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a distill run in its own process (as VS Code starts it): followed through the run store, cancelled mid-stage by a signal, resumed where it stopped', async () => {
  const workerScript = path.join(__dirname, '../../dist/runWorker.js');
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  await withTeacher(async (dir) => {
    // Long by construction: 500 epochs of KD are never reached before the cancel.
    const file = distillExperiment(dir, 'long.experiment.json', [{ method: 'kd', epochs: 500 }]);
    const run = startDetachedRun({ experiment: await loadExperimentFile(file), outRoot: path.join(dir, '.model-lab', 'runs'), workerScript });
    const follower = new RunFollower(run.runDir, { child: run.child });
    const events: RunEvent[] = [];
    follower.onEvent((e) => events.push(e));
    await waitFor(() => events.some((e) => e.type === 'distill-step' && e.stageStep > 100), 'KD steps past the first epochs');
    assert.deepEqual(follower.cancel(), { ok: true });
    const outcome = await follower.done;
    assert.equal(outcome.status, 'cancelled');
    assert.equal(outcome.summary?.kind, 'distill');
    assert.equal((await store.readRunRecord(run.runDir))?.status, 'cancelled');
    const last = Math.max(...(await store.readEvents(run.runDir)).flatMap((e) => (e.type === 'distill-step' ? [e.stageStep] : [])));
    assert.ok(existsSync(path.join(run.runDir, 'checkpoint', 'kd')), 'the arm left its checkpoint');

    const resumed: RunEvent[] = [];
    const again = await runJob({ experimentFile: '', resumeDir: run.runDir }, sink(resumed), () => resumed.some((e) => e.type === 'distill-step'));
    assert.equal(again.status, 'cancelled');
    const first = resumed.find((e) => e.type === 'distill-step');
    assert.ok(first && first.type === 'distill-step' && first.arm === 'kd' && first.stage === 'prediction');
    assert.ok(first.stageStep > last, `resumed after step ${last}, at ${first.stageStep}`);
  });
});

test('a distill run process killed (SIGKILL) in the middle of a stage resumes from its last checkpoint and ends where an uninterrupted run ends', async () => {
  const workerScript = path.join(__dirname, '../../dist/runWorker.js');
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  await withTeacher(async (dir) => {
    // kd's one stage is 20 epochs (45 steps each); the kill comes after the checkpoint of its
    // first epoch, while the stage has 19 epochs to go; the noise arm runs after the resume.
    const arms = [{ method: 'kd', epochs: 20 }, 'noise'];
    const whole = (await runJob({ experimentFile: distillExperiment(dir, 'whole.experiment.json', arms) }, sink(), () => false)) as DistillSummary;
    assert.equal(whole.status, 'completed');

    const file = distillExperiment(dir, 'killed.experiment.json', arms);
    const run = startDetachedRun({ experiment: await loadExperimentFile(file), outRoot: path.join(dir, '.model-lab', 'runs'), workerScript });
    let killedBy: NodeJS.Signals | null | undefined;
    run.child.once('exit', (_code, signal) => (killedBy = signal));
    const manifest = path.join(run.runDir, 'checkpoint', 'kd', 'session.json');
    const position = () => {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { position: { stageIndex: number; stageStep: number } }).position;
      } catch {
        return undefined; // not written yet
      }
    };
    await waitFor(() => (position()?.stageStep ?? 0) >= 45 && position(), 'the checkpoint of kd\'s first epoch', 180_000);
    process.kill(run.child.pid!, 'SIGKILL');
    // (The detached child is unref'd: wait on its exit as a condition.)
    assert.deepEqual(await waitFor(() => killedBy !== undefined && { signal: killedBy }, 'the killed run process to exit'), { signal: 'SIGKILL' });

    // Killed mid-stage: the record says interrupted (its process is gone), the arm left a checkpoint inside its stage, no student was saved.
    assert.equal((await store.readRunRecord(run.runDir))?.status, 'interrupted');
    const at = position();
    assert.ok(at && at.stageIndex === 0 && at.stageStep >= 45 && at.stageStep < 20 * 45, `checkpoint at ${JSON.stringify(at)}`);
    assert.ok(!existsSync(path.join(run.runDir, 'model', 'kd')), 'kd had not finished');

    const resumed: RunEvent[] = [];
    const done = (await runJob({ experimentFile: '', resumeDir: run.runDir }, sink(resumed), () => false)) as DistillSummary;
    assert.equal(done.status, 'completed');
    const first = resumed.find((e) => e.type === 'distill-step');
    assert.ok(first && first.type === 'distill-step' && first.arm === 'kd' && first.stage === 'prediction');
    assert.ok(first.stageStep > at.stageStep, `resumed after the checkpoint at ${at.stageStep}, at ${first.stageStep}`);
    assert.deepEqual(done.arms.map((a) => a.name), ['kd', 'noise']);
    for (const [i, a] of done.arms.entries()) {
      assert.ok(Math.abs(a.accuracy - whole.arms[i].accuracy) <= 0.005, `${a.name}: resumed ${a.accuracy} vs uninterrupted ${whole.arms[i].accuracy}`);
    }
    assert.equal(done.teacher.accuracy, whole.teacher.accuracy);
  });
});
