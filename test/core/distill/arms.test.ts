import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { computeLogits, type DistillContext, type ExampleSet, planArm } from '../../../src/core/distill/arms';
import { armSettings } from '../../../src/core/distill/settings';
import type { DistillExperiment, LayerConfig } from '../../../src/core/experiment/types';
import { buildModel } from '../../../src/core/model/build';
import { prototypeData, useBackend } from '../train/fixtures';

before(useBackend);

const SHAPE = [64];
const STUDENT: LayerConfig[] = [
  { name: 's1', type: 'dense', units: 12, activation: 'relu' },
  { name: 'sout', type: 'dense', units: 10, activation: 'softmax' },
] as LayerConfig[];

/** A kd arm's plan on a training split of `count` examples (an untrained teacher: memory, not accuracy). */
async function kdPlan(count: number) {
  const data = prototypeData({ train: count, test: 50, classes: 10, shape: SHAPE, seed: 4 });
  const teacher = await buildModel({ inputShape: SHAPE, layers: [
    { name: 'fc1', type: 'dense', units: 256, activation: 'relu' },
    { name: 'fc2', type: 'dense', units: 256, activation: 'relu' },
    { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ] as LayerConfig[] }, { exampleShape: SHAPE, inputDtype: 'float32', seed: 2 });
  const cache = new WeakMap<object, Float32Array>();
  const ctx: DistillContext = {
    teacher, exampleShape: SHAPE, numClasses: 10, train: data.train, test: data.test,
    buildStudent: () => buildModel({ layers: STUDENT }, { exampleShape: SHAPE, inputDtype: 'float32', seed: 3 }),
    teacherLogits: (set: ExampleSet) => {
      let l = cache.get(set.x);
      if (!l) cache.set(set.x, (l = computeLogits(teacher, set, SHAPE)));
      return l;
    },
  };
  const exp = { kind: 'distill', name: 'kd', teacher: 't', student: { layers: STUDENT }, arms: ['kd'], training: { epochs: 1, batchSize: 32, seed: 5 } } as unknown as DistillExperiment;
  const plan = await planArm(ctx, armSettings(exp)[0]);
  return { plan, dispose: () => { plan.student.dispose(); plan.dispose(); teacher.dispose(); } };
}

/** A teacher with one batch-norm layer (`units` wide) and a data-free context over it: no training split. */
async function bnTeacherContext(units: number, test: number): Promise<{ teacher: tf.LayersModel; ctx: DistillContext }> {
  const data = prototypeData({ train: 10, test, classes: 10, shape: SHAPE, seed: 6 });
  const teacher = await buildModel({ inputShape: SHAPE, layers: [
    { name: 'fc1', type: 'dense', units, activation: 'relu' },
    { name: 'bn1', type: 'batchNormalization' },
    { name: 'out', type: 'dense', units: 10, activation: 'softmax' },
  ] as LayerConfig[] }, { exampleShape: SHAPE, inputDtype: 'float32', seed: 2 });
  const ctx: DistillContext = {
    teacher, exampleShape: SHAPE, numClasses: 10, test: data.test,
    buildStudent: () => buildModel({ layers: STUDENT }, { exampleShape: SHAPE, inputDtype: 'float32', seed: 3 }),
    teacherLogits: (set: ExampleSet) => computeLogits(teacher, set, SHAPE),
  };
  return { teacher, ctx };
}

/** Runs `steps` more steps of a plan under `tf.profile`: the peak bytes held, and what is left after. */
async function profiledSteps(plan: Awaited<ReturnType<typeof kdPlan>>['plan'], steps: number): Promise<{ peakBytes: number; numTensors: number; numBytes: number }> {
  let done = 0;
  const info = await tf.profile(async () => {
    const r = await plan.session.run(plan.stages, { shouldStop: () => done >= steps, onStep: () => void done++ });
    assert.equal(r.status, 'stopped');
  });
  return { peakBytes: info.peakBytes, ...tf.memory() };
}

it('a kd step holds no more memory on a large training split than on a small one: the teacher pass over the split is batched and off the gradient tape', async () => {
  // 1,000 vs 16,000 examples: 2 vs 32 teacher batches of 500. On the tape (the defect that aborted
  // the wasm backend on SST-2's 67k sentences) every batch's activations stay alive until the
  // step ends, so the first step's peak grows with the split (about 16x here).
  const peaks: number[] = [];
  for (const count of [1000, 16000]) {
    const { plan, dispose } = await kdPlan(count);
    peaks.push((await profiledSteps(plan, 2)).peakBytes);
    dispose();
  }
  const [small, large] = peaks;
  // The split itself lives in JavaScript memory; the tensors of the large run may exceed the
  // small one's only by its logits' minibatch rows (nothing proportional to the split).
  assert.ok(large <= small * 1.1, `peak bytes ${large} with 16,000 examples vs ${small} with 1,000`);
});

it('memory stays flat over a kd arm\'s steps: the same tensors and bytes after N and 2N steps, and no higher peak', async () => {
  const { plan, dispose } = await kdPlan(4000);
  const first = await profiledSteps(plan, 20);
  const second = await profiledSteps(plan, 20);
  assert.equal(second.numTensors, first.numTensors, 'tensors after 20 and 40 steps');
  assert.equal(second.numBytes, first.numBytes, 'bytes after 20 and 40 steps');
  assert.ok(second.peakBytes <= first.peakBytes, `peak ${second.peakBytes} over steps 21-40 vs ${first.peakBytes} over 1-20`);
  dispose();
});

it('Adaptive DeepInversion: the student learns between synthetic batches, and later batches add the competition term', async () => {
  const { teacher, ctx } = await bnTeacherContext(32, 40);
  const plan = async (competition: number) => {
    const exp = {
      kind: 'distill', name: 'adi', teacher: 't', student: { layers: STUDENT }, arms: ['deepinversion'],
      training: { epochs: 1, batchSize: 16, seed: 5 },
      synthesis: { samples: 64, batchSize: 32, steps: 3, competition, competitionSteps: 2 },
    } as unknown as DistillExperiment;
    return planArm(ctx, armSettings(exp)[0]);
  };

  const adi = await plan(1);
  assert.equal(adi.stages[0].steps, 3 + 2 + 3, 'batch 1, two student steps, batch 2');
  const records: { metrics: string[]; kernel: number[] }[] = [];
  await adi.session.run(adi.stages, {
    onStep: (r) => {
      if (r.stage === 'synthesis') records.push({ metrics: Object.keys(r.metrics), kernel: Array.from(adi.student.getWeights()[0].dataSync().slice(0, 8)) });
    },
  });
  const has = (i: number, k: string) => records[i].metrics.includes(k);
  for (const i of [0, 1, 2]) assert.ok(has(i, 'loss') && !has(i, 'competition') && !has(i, 'studentKd'), `batch 1, step ${i + 1}: plain DeepInversion`);
  for (const i of [3, 4]) assert.ok(has(i, 'studentKd') && !has(i, 'loss'), `step ${i + 1}: a student KD step`);
  assert.deepEqual(records[1].kernel, records[2].kernel, 'the student is frozen while inputs are optimised');
  assert.notDeepEqual(records[4].kernel, records[2].kernel, 'the student learned from batch 1');
  for (const i of [5, 6, 7]) assert.ok(has(i, 'competition') && has(i, 'loss'), `batch 2, step ${i - 4}: with the competition term`);
  assert.deepEqual(records[7].kernel, records[4].kernel, 'inputs, not the student, are optimised against it');
  adi.student.dispose();
  adi.dispose();

  const plain = await plan(0);
  assert.equal(plain.stages[0].steps, 6, 'without competition: the two batches only');
  plain.student.dispose();
  plain.dispose();
  teacher.dispose();
});

it('training.schedule "cosine": a KD stage\'s learning rate falls from the optimizer\'s to ~0 along a cosine; constant by default', async () => {
  const { teacher, ctx } = await bnTeacherContext(16, 40);
  const rates = async (arm: string, schedule?: string) => {
    const exp = {
      kind: 'distill', name: 'cos', teacher: 't', student: { layers: STUDENT }, arms: [arm],
      training: { epochs: 4, batchSize: 16, seed: 5, optimizer: { type: 'adam', learningRate: 0.002 }, ...(schedule ? { schedule } : {}) },
      synthesis: { samples: 32, batchSize: 32, steps: 2, views: true, jitter: 1 },
    } as unknown as DistillExperiment;
    const plan = await planArm(ctx, armSettings(exp)[0]);
    const seen: number[] = [];
    await plan.session.run(plan.stages, { onStep: (r) => { if (r.stage === 'distillation') seen.push(plan.session.learningRate('student')); } });
    plan.student.dispose();
    plan.dispose();
    return seen;
  };
  // noise: 32 inputs, 2 steps an epoch, 8 steps; deepinversion + views: the same length.
  for (const arm of ['noise', 'deepinversion']) {
    const cos = await rates(arm, 'cosine');
    assert.equal(cos.length, 8, arm);
    cos.forEach((r, i) => assert.ok(Math.abs(r - 0.001 * (1 + Math.cos((Math.PI * i) / 8))) < 1e-9, `${arm} step ${i}: ${r}`));
    assert.ok(cos[7] < 0.0001, `${arm}: the last step at ${cos[7]}`);
    assert.deepEqual(await rates(arm), Array(8).fill(0.002), `${arm}: constant by default`);
  }
  teacher.dispose();
});

it('synthesis.schedule "cosine": each synthetic batch\'s inputs start at synthesis.learningRate and decay to ~0 by its last step', async () => {
  const { teacher, ctx } = await bnTeacherContext(16, 20);
  const exp = {
    kind: 'distill', name: 'cos', teacher: 't', student: { layers: STUDENT }, arms: ['deepinversion'],
    training: { epochs: 1, batchSize: 16, seed: 5 },
    synthesis: { samples: 32, batchSize: 16, steps: 4, learningRate: 0.08, schedule: 'cosine' },
  } as unknown as DistillExperiment;
  const plan = await planArm(ctx, armSettings(exp)[0]);
  const seen: number[] = [];
  await plan.session.run([plan.stages[0]], { onStep: () => void seen.push(plan.session.learningRate('inputs')) });
  const batch = [0, 1, 2, 3].map((i) => 0.04 * (1 + Math.cos((Math.PI * i) / 4)));
  assert.equal(seen.length, 8);
  seen.forEach((r, i) => assert.ok(Math.abs(r - batch[i % 4]) < 1e-9, `step ${i}: ${r}`));
  plan.student.dispose();
  plan.dispose();
  teacher.dispose();
});
