import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LoadedData } from '../../../src/core/data/types';
import { UserError } from '../../../src/core/errors';
import type { FreezingConfig, LayerConfig, TrainExperiment } from '../../../src/core/experiment/types';
import { createPolicy } from '../../../src/core/freezing/create';
import type { FreezingPolicy } from '../../../src/core/freezing/policy';
import { SmartFrzPolicy } from '../../../src/core/freezing/smartfrz/policy';
import { loadPredictor } from '../../../src/core/freezing/smartfrz/predictorFile';
import { buildModel } from '../../../src/core/model/build';
import { modelLayers } from '../../../src/core/model/flops';
import { readCheckpoint, type TrainCheckpoint, writeCheckpoint } from '../../../src/core/train/checkpoint';
import { DENSE_STEP_ENV_VAR } from '../../../src/core/train/denseStep';
import type { RunEvent } from '../../../src/core/train/events';
import { train, type TrainOptions, type TrainResult } from '../../../src/core/train/trainer';
import { experiment, keywordTextData, MLP, prototypeData, snapshot, useBackend } from './fixtures';

let backend = 'cpu';
before(async () => {
  backend = await useBackend();
});

const DATA = prototypeData({ train: 480, test: 160, classes: 5, shape: [20], seed: 3, noise: 1.2 });

interface Run {
  result: TrainResult;
  events: RunEvent[];
  model: tf.LayersModel;
  checkpoints: TrainCheckpoint[];
}

async function run(
  exp: TrainExperiment,
  data: LoadedData = DATA,
  extra: Partial<TrainOptions> & { onEventAlso?: (e: RunEvent, model: tf.LayersModel) => void } = {},
): Promise<Run> {
  const model = await buildModel(exp.model, {
    exampleShape: data.exampleShape,
    inputDtype: data.xDtype,
    seed: exp.training.seed ?? 0,
  });
  const events: RunEvent[] = [];
  const checkpoints: TrainCheckpoint[] = [];
  const result = await train({
    experiment: exp,
    data,
    model,
    policy: createPolicy(exp.freezing),
    runId: 'test',
    backend,
    onEvent: (e) => {
      events.push(e);
      extra.onEventAlso?.(e, model);
    },
    shouldStop: () => false,
    onCheckpoint: async (c) => {
      checkpoints.push(c);
    },
    ...extra,
  });
  return { result, events, model, checkpoints };
}

const epochs = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { type: 'epoch' }> => e.type === 'epoch');

/** Per epoch, training and test losses agree to 1e-4 (relative above 1). */
function assertSameLosses(got: RunEvent[], want: RunEvent[]): void {
  const a = epochs(got);
  const b = epochs(want);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i].loss - b[i].loss) < 1e-4 * Math.max(1, b[i].loss), `epoch ${i}: ${a[i].loss} vs ${b[i].loss}`);
    assert.ok(Math.abs(a[i].testLoss - b[i].testLoss) < 1e-4 * Math.max(1, b[i].testLoss));
  }
}

describe('train', () => {
  it('learns a dense model: loss falls and test accuracy is well above chance', async () => {
    const { result, events } = await run(experiment(MLP, { epochs: 4 }));
    const hist = epochs(events);
    assert.equal(result.status, 'completed');
    assert.equal(result.epochs, 4);
    assert.deepEqual(hist.map((e) => e.epoch), [0, 1, 2, 3], 'epoch events are 0-based');
    assert.equal(result.globalStep, 4 * Math.ceil(480 / 32));
    assert.ok(hist[3].loss < hist[0].loss * 0.8, `loss ${hist[0].loss} -> ${hist[3].loss}`);
    assert.ok(result.metrics.accuracy > 0.6, `accuracy ${result.metrics.accuracy} (chance 0.2)`);
    assert.equal(result.metrics.accuracy, hist[3].testAccuracy);
    assert.deepEqual(result.flopsSaved, { forward: 0, backward: 0 });
    const start = events[0];
    assert.equal(start.type, 'start');
    if (start.type === 'start') {
      assert.deepEqual(start.layers.map((l) => [l.name, l.params, l.unit]), [['fc1', 20 * 32 + 32, 0], ['fc2', 32 * 16 + 16, 1], ['out', 16 * 5 + 5, 2]]);
    }
    assert.equal(events[events.length - 1].type, 'end');
    assert.ok(events.some((e) => e.type === 'step'));
  });

  it("reports an epoch's loss as the float32 sum of its steps' losses times their sizes, over the examples", async () => {
    const { events } = await run(experiment(MLP, { epochs: 1 }), DATA, { logEverySteps: 1 });
    const steps = events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step');
    assert.equal(steps.length, 480 / 32);
    // What the trainer summed before (two kernels a step), on the tensors.
    const sum = steps.reduce((acc, e) => {
      const next = tf.tidy(() => tf.add(acc, tf.mul(tf.scalar(e.loss), 32)) as tf.Scalar);
      acc.dispose();
      return next;
    }, tf.scalar(0));
    assert.equal(epochs(events)[0].loss, sum.dataSync()[0] / 480);
    sum.dispose();
  });

  it('is reproducible: same seed, same losses and weights', async () => {
    const layers: LayerConfig[] = [MLP[0], { type: 'dropout', rate: 0.3 }, MLP[1], MLP[2]];
    const a = await run(experiment(layers, { epochs: 2 }));
    const b = await run(experiment(layers, { epochs: 2 }));
    assert.deepEqual(epochs(a.events).map((e) => e.loss), epochs(b.events).map((e) => e.loss));
    assert.deepEqual(snapshot(a.model.getWeights()), snapshot(b.model.getWeights()));
    const c = await run(experiment(layers, { epochs: 2, seed: 8 }));
    assert.notDeepEqual(epochs(a.events).map((e) => e.loss), epochs(c.events).map((e) => e.loss));
  });

  it('keeps frozen variables bit-identical and drops their optimizer slots', async () => {
    let atFreeze: Float32Array[] | undefined;
    let outAtFreeze: Float32Array[] | undefined;
    const exp = experiment(MLP, { epochs: 3, freezing: { policy: 'static', layers: ['fc1'], atEpoch: 1 } });
    const { result, events, model, checkpoints } = await run(exp, DATA, {
      onEventAlso: (e, m) => {
        if (e.type === 'freeze') {
          atFreeze = snapshot(m.getLayer('fc1').getWeights());
          outAtFreeze = snapshot(m.getLayer('out').getWeights());
        }
      },
    });
    assert.deepEqual(result.freezeEvents, [{ layer: 'fc1', epoch: 1, step: 15 }]);
    assert.ok(atFreeze);
    assert.deepEqual(snapshot(model.getLayer('fc1').getWeights()), atFreeze, 'frozen weights changed');
    assert.notDeepEqual(snapshot(model.getLayer('out').getWeights()), outAtFreeze, 'trainable weights did not change');
    // Slots of the frozen layer's variables (indices 0 and 1 of the trainable list) are gone.
    const before = checkpoints[0].optimizer.filter((s) => s.variable >= 0).map((s) => s.variable);
    const after = checkpoints[2].optimizer.filter((s) => s.variable >= 0).map((s) => s.variable);
    assert.ok(before.includes(0) && before.includes(1));
    assert.ok(!after.includes(0) && !after.includes(1), `slots after freezing: ${after}`);
    assert.ok(after.includes(2) && after.includes(5));
    const freeze = events.find((e) => e.type === 'freeze');
    assert.ok(freeze && freeze.type === 'freeze' && freeze.stepSaving.backward > 0);
    assert.ok(result.flopsSaved.backward > 0 && result.flopsSaved.backward < freeze.stepSaving.backward);
  });

  it('really skips the frozen prefix\'s backward pass (and, cached, its forward pass)', async () => {
    /**
     * Matmul kernels run during exactly 3 training steps (stopped before any evaluation), on
     * tfjs's gradient tape (the fused dense step, one kernel, is checked in denseStep.test.ts).
     */
    const matmulsIn3Steps = async (freezing?: TrainExperiment['freezing']) => {
      process.env[DENSE_STEP_ENV_VAR] = '0';
      const exp = experiment(MLP, { epochs: 2, freezing });
      const model = await buildModel(exp.model, { exampleShape: [20], inputDtype: 'float32', seed: 7 });
      let steps = 0;
      const info = await tf.profile(async () => {
        await train({
          experiment: exp,
          data: DATA,
          model,
          policy: createPolicy(exp.freezing),
          runId: 't',
          backend,
          logEverySteps: 1,
          onEvent: (e) => {
            if (e.type === 'step') steps = e.step;
          },
          shouldStop: () => steps >= 3,
        });
      }).finally(() => delete process.env[DENSE_STEP_ENV_VAR]);
      // On wasm a dense layer's forward product is the fused ModelLabDense kernel.
      return info.kernels.filter((k) => /^((_Fused)?(Batch)?MatMul|ModelLabDense)$/.test(k.name)).length;
    };
    // No freezing: 3 forward + 5 backward (3 weight gradients, 2 input gradients) per step.
    assert.equal(await matmulsIn3Steps(), 3 * 8);
    // fc1 and fc2 frozen: 3 forward + only the output layer's weight gradient.
    assert.equal(await matmulsIn3Steps({ policy: 'static', prefix: 2, cache: false }), 3 * 4);
    // Cached: the prefix ran once over the training set (2 batches of <= 256), then 1 + 1 per step.
    assert.equal(await matmulsIn3Steps({ policy: 'static', prefix: 2 }), 2 * Math.ceil(480 / 256) + 3 * 2);
  });

  it('stops updating frozen batch-norm statistics', async () => {
    const layers: LayerConfig[] = [
      { name: 'fc1', type: 'dense', units: 16, activation: 'relu' },
      { name: 'bn', type: 'batchNormalization', momentum: 0.9 },
      { name: 'fc2', type: 'dense', units: 16, activation: 'relu' },
      { name: 'out', type: 'dense', units: 5, activation: 'softmax' },
    ];
    const stats = (m: tf.LayersModel) => snapshot(m.getLayer('bn').nonTrainableWeights.map((w) => w.read()));
    let initial: Float32Array[] | undefined;
    let atFreeze: Float32Array[] | undefined;
    const exp = experiment(layers, { epochs: 3, freezing: { policy: 'static', prefix: 2, atEpoch: 1 } });
    const { model, result } = await run(exp, DATA, {
      onEventAlso: (e, m) => {
        if (e.type === 'start') initial = stats(m);
        if (e.type === 'freeze' && e.layer === 'bn') atFreeze = stats(m);
      },
    });
    assert.equal(result.freezeEvents.length, 2);
    assert.notDeepEqual(atFreeze, initial, 'statistics should move while training');
    assert.deepEqual(stats(model), atFreeze, 'frozen statistics moved');
  });

  it('gives the same losses with and without the frozen-prefix cache', async () => {
    const layers: LayerConfig[] = [MLP[0], { type: 'dropout', rate: 0.2 }, MLP[1], MLP[2]];
    const fr = { policy: 'static' as const, prefix: 1, atEpoch: 1 };
    const cached = await run(experiment(layers, { epochs: 3, freezing: { ...fr, cache: true } }));
    const plain = await run(experiment(layers, { epochs: 3, freezing: { ...fr, cache: false } }));
    assertSameLosses(cached.events, plain.events);
    assert.ok(cached.result.flopsSaved.forward > 0);
    assert.equal(plain.result.flopsSaved.forward, 0);
    assert.equal(cached.result.flopsSaved.backward, plain.result.flopsSaved.backward);
  });

  it('gives the same losses with and without the cache when the frozen prefix grows twice', async () => {
    // FreezeOut-style: two layers freeze at different steps; the second cache is built from
    // the first one's outputs.
    const layers: LayerConfig[] = [MLP[0], MLP[1], MLP[2]];
    const grown = { policy: 'linear' as const, t0: 0.2 };
    const cached = await run(experiment(layers, { epochs: 6, freezing: { ...grown, cache: true } }));
    const plain = await run(experiment(layers, { epochs: 6, freezing: { ...grown, cache: false } }));
    // Both freezes early enough that a cache pays off (at least 1.5 epochs left).
    const early = cached.result.freezeEvents.filter((f) => f.epoch <= 4);
    assert.ok(early.length >= 2, JSON.stringify(cached.result.freezeEvents));
    assert.deepEqual(cached.result.freezeEvents, plain.result.freezeEvents);
    assertSameLosses(cached.events, plain.events);
    assert.ok(cached.result.flopsSaved.forward > 0);
  });

  it('leaks no tensors from one epoch to the next', async () => {
    for (const freezing of [undefined, { policy: 'static' as const, prefix: 1 }, { policy: 'autofreeze' as const, intervalSteps: 100 }]) {
      const counts: number[] = [];
      await run(experiment(MLP, { epochs: 3, freezing }), DATA, {
        onEventAlso: (e) => {
          if (e.type === 'epoch') counts.push(tf.memory().numTensors);
        },
      });
      assert.equal(counts[1], counts[0], `policy ${freezing?.policy ?? 'none'}: ${counts}`);
      assert.equal(counts[2], counts[1], `policy ${freezing?.policy ?? 'none'}: ${counts}`);
    }
  });

  it('stops at a step boundary when asked and reports cancelled', async () => {
    let steps = 0;
    const { result, events } = await run(experiment(MLP, { epochs: 3 }), DATA, {
      shouldStop: () => steps >= 20,
      onEventAlso: (e) => {
        if (e.type === 'step') steps = e.step;
      },
      logEverySteps: 1,
    });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.globalStep, 20);
    assert.equal(result.epochs, 1);
    const end = events[events.length - 1];
    assert.ok(end.type === 'end' && end.status === 'cancelled' && end.step === 20);
  });

  it('resumes from a checkpoint to the same final weights as an uninterrupted run', async () => {
    const layers: LayerConfig[] = [MLP[0], { type: 'dropout', rate: 0.2 }, MLP[1], MLP[2]];
    // SmartFRZ with the predictor, the directedness guard and the output guard (which the shipped
    // calibration sets since round 12; it holds this small model) let through: its per-layer signal
    // decides, read every 10 steps (15-step epochs: readings straddle the resume point). fc1's
    // probe CKA between readings is ~0.89, 0.95, 0.97 (step 30), 0.986 (step 40) here, so with
    // 0.98 nothing freezes before step 40, after the resume point (step 30): the resumed run
    // decides the same only because the checkpoint carried the step-30 probe reading.
    const smartfrz = { policy: 'smartfrz' as const, minLayerSimilarity: 0.98, snapshotEvery: 1, probeEvery: 10 };
    const policyOf = (freezing: FreezingConfig): FreezingPolicy =>
      freezing === smartfrz ? new SmartFrzPolicy({ predictor: loadPredictor(), threshold: 0, maxDirectedness: Infinity, minLayerSimilarity: 0.98, minOutputSimilarity: 0, snapshotEvery: 1, probeEvery: 10 }) : createPolicy(freezing);
    for (const freezing of [{ policy: 'linear' as const, t0: 0.3 }, { policy: 'autofreeze' as const }, smartfrz]) {
      const exp = experiment(layers, { epochs: 4, freezing });
      const full = await run(exp, DATA, { policy: policyOf(freezing) });
      assert.ok(full.result.freezeEvents.length > 0, `${freezing.policy} should freeze something`);
      if (freezing === smartfrz) assert.ok(full.result.freezeEvents.every((f) => f.step > 30), JSON.stringify(full.result.freezeEvents));
      // Interrupted: stop right after the second epoch's checkpoint, persist it, resume on a fresh model.
      let stop = false;
      const first = await run(exp, DATA, {
        policy: policyOf(freezing),
        shouldStop: () => stop,
        onCheckpoint: async (c) => {
          if (c.epoch === 2) {
            await writeCheckpoint(dir, c);
            stop = true;
          }
        },
      });
      assert.equal(first.result.status, 'cancelled');
      const ckpt = await readCheckpoint(dir);
      assert.ok(ckpt);
      const resumed = await run(exp, DATA, { resume: ckpt, policy: policyOf(freezing) });
      assert.equal(resumed.result.status, 'completed');
      assert.equal(resumed.result.globalStep, full.result.globalStep);
      assert.deepEqual(resumed.result.freezeEvents, full.result.freezeEvents);
      assert.deepEqual(resumed.result.history.map((h) => h.loss), full.result.history.map((h) => h.loss));
      assert.deepEqual(resumed.result.metrics, full.result.metrics);
      assert.deepEqual(snapshot(resumed.model.getWeights()), snapshot(full.model.getWeights()));
      const start = resumed.events[0];
      assert.ok(start.type === 'start' && start.resumedFrom?.epoch === 2);
    }
  });

  it('sees a stop request that arrives through the event loop at the next step (it yields inside epochs)', async () => {
    let stop = false;
    const { result, checkpoints, events } = await run(experiment(MLP, { epochs: 2 }), DATA, {
      yieldIntervalMs: 0,
      logEverySteps: 1,
      shouldStop: () => stop,
      onEventAlso: (e) => {
        // As a signal handler or an IPC message would: on a later turn of the event loop.
        if (e.type === 'step' && e.step === 5) setImmediate(() => (stop = true));
      },
    });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.globalStep, 5);
    assert.equal(checkpoints.length, 1, 'checkpointed where it stopped');
    assert.equal(checkpoints[0].globalStep, 5);
    assert.deepEqual(checkpoints[0].partialEpoch?.step, 5);
    assert.equal(events.filter((e) => e.type === 'epoch').length, 0);
  });

  it('resumes a run stopped inside an epoch, or during its evaluation, to exactly the uninterrupted run', async () => {
    const layers: LayerConfig[] = [MLP[0], { type: 'dropout', rate: 0.2 }, MLP[1], MLP[2]];
    const stepsPerEpoch = Math.ceil(480 / 32);
    // 22: in the middle of the second epoch; 15: after the first epoch's last step, during its evaluation.
    for (const [freezing, stopAt] of [[{ policy: 'autofreeze' as const, intervalSteps: 6 }, 22], [{ policy: 'linear' as const, t0: 0.3 }, 15]] as const) {
      const exp = experiment(layers, { epochs: 3, freezing });
      const full = await run(exp);
      assert.ok(full.result.freezeEvents.length > 0, `${freezing.policy} should freeze something`);
      let steps = 0;
      const first = await run(exp, DATA, {
        logEverySteps: 1,
        shouldStop: () => steps >= stopAt,
        onEventAlso: (e) => {
          if (e.type === 'step') steps = e.step;
        },
      });
      assert.equal(first.result.status, 'cancelled');
      const last = first.checkpoints[first.checkpoints.length - 1];
      assert.equal(last.globalStep, stopAt);
      assert.deepEqual([last.epoch, last.partialEpoch?.step], [Math.floor((stopAt - 1) / stepsPerEpoch), stopAt - Math.floor((stopAt - 1) / stepsPerEpoch) * stepsPerEpoch]);
      await writeCheckpoint(dir, last);
      const resumed = await run(exp, DATA, { resume: await readCheckpoint(dir) });
      assert.equal(resumed.result.status, 'completed');
      assert.equal(resumed.result.globalStep, full.result.globalStep);
      assert.deepEqual(resumed.result.freezeEvents, full.result.freezeEvents);
      assert.deepEqual(resumed.result.history.map((h) => [h.loss, h.testLoss, h.testAccuracy]), full.result.history.map((h) => [h.loss, h.testLoss, h.testAccuracy]));
      assert.deepEqual(snapshot(resumed.model.getWeights()), snapshot(full.model.getWeights()));
      const start = resumed.events[0];
      assert.ok(start.type === 'start' && start.resumedFrom?.step === stopAt);
    }
  });

  it('ends a diverged run as `diverged`, naming the epoch and step, without checkpointing the diverged state', async () => {
    // Learning rate 1e30: the first update sends the weights to infinity and the loss to NaN.
    const { result, events, checkpoints } = await run(experiment(MLP, { epochs: 3, lr: 1e30, optimizer: 'sgd' }), DATA, { logEverySteps: 1 });
    assert.equal(result.status, 'diverged');
    assert.match(result.message ?? '', /^training diverged at epoch 1, step \d+: the training loss is (NaN|-?Infinity); lower the learning rate/);
    const end = events[events.length - 1];
    assert.ok(end.type === 'end' && end.status === 'diverged' && end.message === result.message);
    assert.ok(events.some((e) => e.type === 'step' && !Number.isFinite(e.loss)));
    assert.equal(checkpoints.length, 0);
    // Without a step event in the epoch, the epoch's mean loss catches it.
    const quiet = await run(experiment(MLP, { epochs: 3, lr: 1e30, optimizer: 'sgd' }), DATA, { logEverySteps: 1000 });
    assert.equal(quiet.result.status, 'diverged');
    assert.match(quiet.result.message ?? '', /at epoch 1, step 15: the training loss is/);
  });

  it('refuses a checkpoint that does not fit the model, or whose policy state is unreadable, with a one-line user error', async () => {
    const exp = experiment(MLP, { epochs: 2, freezing: { policy: 'autofreeze' } });
    const { checkpoints } = await run(exp);
    const good = checkpoints[0];
    const bad: [string, TrainCheckpoint, RegExp][] = [
      ['a weight of another shape', { ...good, modelWeights: good.modelWeights.map((w, i) => (i === 0 ? { ...w, shape: [5, 32] } : w)) }, /weight 0 is float32 \[5, 32\], the model's is float32 \[20, 32\]/],
      ['a missing weight', { ...good, modelWeights: good.modelWeights.slice(1) }, /holds 5 weight tensors, the model has 6/],
      ['a slot of an unknown variable', { ...good, optimizer: [...good.optimizer, { ...good.optimizer[1], variable: 99 }] }, /belongs to variable 99/],
      ['an epoch beyond the plan', { ...good, epoch: 7, globalStep: 7 * 15 }, /at epoch 7, the run has 2 epochs/],
      ['a step that is not the epoch\'s', { ...good, globalStep: 3 }, /step 3 does not match epoch 1/],
      ['another policy', { ...good, policy: 'linear' }, /written by the linear policy/],
      ['an unreadable policy state', { ...good, policyState: null }, /damaged checkpoint: unreadable autofreeze policy state/],
    ];
    for (const [what, ckpt, message] of bad) {
      await assert.rejects(run(exp, DATA, { resume: ckpt }), (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'), what);
    }
  });

  it('trains a conv2d + maxPooling2d + flatten model', async () => {
    const data = prototypeData({ train: 320, test: 96, classes: 4, shape: [8, 8, 1], seed: 5, noise: 1.2 });
    const layers: LayerConfig[] = [
      { name: 'conv', type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { name: 'out', type: 'dense', units: 4, activation: 'softmax' },
    ];
    const { result } = await run(experiment(layers, { epochs: 3 }), data);
    assert.ok(result.history[2].loss < result.history[0].loss, 'loss should fall');
    assert.ok(result.metrics.accuracy > 0.5, `accuracy ${result.metrics.accuracy} (chance 0.25)`);
  });

  it('trains an embedding + transformerEncoder + globalAveragePooling1d text model', async () => {
    const data = keywordTextData({ train: 320, test: 96, classes: 3, length: 12, vocab: 40, seed: 9 });
    const layers: LayerConfig[] = [
      { name: 'embed', type: 'embedding', inputDim: 40, outputDim: 16 },
      { name: 'encoder', type: 'transformerEncoder', numHeads: 2, ffDim: 32, rate: 0.1 },
      { type: 'globalAveragePooling1d' },
      { name: 'out', type: 'dense', units: 3, activation: 'softmax' },
    ];
    const exp = experiment(layers, { epochs: 4, freezing: { policy: 'static', layers: ['embed'], atEpoch: 2 } });
    const { result, model } = await run(exp, data);
    assert.ok(result.history[3].loss < result.history[0].loss, 'loss should fall');
    assert.ok(result.metrics.accuracy > 0.6, `accuracy ${result.metrics.accuracy} (chance 0.33)`);
    assert.equal(modelLayers(model)[1].getClassName(), 'TransformerEncoder');
    assert.deepEqual(result.freezeEvents.map((f) => f.layer), ['embed']);
  });

  it('scales each unit\'s update by the policy\'s lrScale (also with Adam) and hands over gradient norms', async () => {
    const exp = experiment(MLP, { epochs: 1 });
    exp.training.shuffle = false;
    const norms: number[][] = [];
    const oneStep = async (scale: number) => {
      const model = await buildModel(exp.model, { exampleShape: [20], inputDtype: 'float32', seed: 7 });
      const initial = snapshot(model.getWeights());
      let steps = 0;
      const policy: FreezingPolicy = {
        name: 'none',
        init() {},
        wantsGradientNorms: () => true,
        afterStep(_s, gradL1) {
          steps++;
          norms.push(gradL1 ?? []);
        },
        frozenPrefix: () => 0,
        lrScale: (unit) => (unit === 0 ? scale : 1),
        saveState: () => ({}),
        loadState() {},
      };
      await train({ experiment: exp, data: DATA, model, policy, runId: 't', backend, onEvent() {}, shouldStop: () => steps >= 1 });
      const after = snapshot(model.getWeights());
      return after.map((w, i) => w.map((v, j) => v - initial[i][j]));
    };
    const full = await oneStep(1);
    const half = await oneStep(0.5);
    const none = await oneStep(0);
    for (let j = 0; j < full[0].length; j++) assert.ok(Math.abs(half[0][j] - 0.5 * full[0][j]) < 1e-6, 'unit 0 moves half as far');
    assert.ok(none[0].every((d) => d === 0) && none[1].every((d) => d === 0), 'scale 0 leaves unit 0 untouched');
    assert.deepEqual(half[2], full[2], 'other units are not affected');
    assert.ok(full[0].some((d) => d !== 0));
    assert.equal(norms[0].length, 3);
    assert.ok(norms[0].every((n) => n > 0));
    assert.deepEqual(norms[1], norms[0], 'same first step, same gradient norms');
  });

  it('rejects a model whose output does not match the number of classes', async () => {
    const exp = experiment([{ name: 'out', type: 'dense', units: 3, activation: 'softmax' }], { epochs: 1 });
    await assert.rejects(run(exp), (e: unknown) => e instanceof UserError && e.pointer === '/model/layers/0/units');
  });
});

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'model-lab-trainer-'));
});
process.on('exit', () => {
  void rm(dir, { recursive: true, force: true });
});
