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
