import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { FreezingConfig } from '../../../src/core/experiment/types';
import { createPolicy } from '../../../src/core/freezing/create';
import { buildModel } from '../../../src/core/model/build';
import { DENSE_STACK_GRADS } from '../../../src/core/tensor/wasm/denseStack';
import { OVERLAP_ENV_VAR } from '../../../src/core/tensor/wasm/behind';
import { NATIVE_ENV_VAR, nativeElementwise } from '../../../src/core/tensor/wasm/nativeGemm';
import { setKernelThreads } from '../../../src/core/tensor/wasm/threads';
import { DENSE_STEP_ENV_VAR, denseStepGradients, denseStepPlan } from '../../../src/core/train/denseStep';
import type { RunEvent } from '../../../src/core/train/events';
import { forwardPlan, meanLoss, runLayers } from '../../../src/core/train/forward';
import { train, type TrainResult } from '../../../src/core/train/trainer';
import { initWasmWithFixes } from '../tensor/backendComparison';
import { normwise } from '../tensor/wasm/pooledReference';
import { experiment, MLP, prototypeData, snapshot } from './fixtures';

/**
 * The fused training step for dense stacks (`train/denseStep.ts`, `tensor/wasm/denseStack.ts`):
 * its loss and gradients are within float32 rounding of a float64 reference, bit-identical to
 * tfjs's gradient tape over the same layers (native and wasm products), for a frozen prefix too;
 * it steps aside where it does not apply and with `MODEL_LAB_DENSE_STEP=0`; and the trainer's
 * weights with it equal the tape path's bit for bit, with freezing, with Adam left behind the next
 * step's start or not (`MODEL_LAB_ADAM_OVERLAP`), saying in its log which ran.
 */
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
const PRODUCTS = [{ name: 'wasm product', native: '0' }, ...(linuxX64 ? [{ name: 'native product', native: undefined }] : [])];

/** Runs `body` with the environment variable set (undefined: unset), restored afterwards. */
async function withEnv<T>(name: string, value: string | undefined, body: () => T | Promise<T>): Promise<T> {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomNormal({ stddev: 0.1, seed: seed + 50 }) });

/** Flatten, then dense 30 -> 23 (ReLU) -> 19 (ReLU) -> 7 (softmax), odd sizes. */
const oddMlp = () => tf.sequential({
  layers: [
    tf.layers.flatten({ inputShape: [5, 6] }),
    tf.layers.dense({ units: 23, activation: 'relu', ...seeded(1) }),
    tf.layers.dense({ units: 19, activation: 'relu', ...seeded(2) }),
    tf.layers.dense({ units: 7, activation: 'softmax', ...seeded(3) }),
  ],
});

/** [loss, dw_i, db_i, ...] of the layers `from..` (frozen before) by the fused step or by tf.variableGrads. */
function stepOutputs(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor1D, from: number, fused: boolean): Float32Array[] {
  return tf.tidy(() => {
    const plan = forwardPlan(model.layers);
    const variables = model.layers.slice(from).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    const h = runLayers(plan, x, 0, from, false, 0);
    const out = fused
      ? denseStepGradients(plan, h, y, from, variables, 7)
      : tf.variableGrads(() => meanLoss(runLayers(plan, h, from, plan.layers.length, true, 0), y, 7), variables);
    assert.ok(out, 'the fused step applies');
    assert.deepEqual(Object.keys(out.grads), variables.map((v) => v.name), 'gradients keyed by variable, in order');
    return [out.value, ...variables.map((v) => out.grads[v.name])].map((t) => Float32Array.from(t.dataSync()));
  });
}

/** Float64 loss and gradients [loss, dw0, db0, ...] of mean softmax cross-entropy through dense layers (ReLU but the last). */
function float64Reference(x: Float32Array, labels: Int32Array, rows: number, weights: Float32Array[], widths: number[]): Float64Array[] {
  const layers = widths.length - 1;
  const hs: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < layers; l++) {
    const [k, n] = [widths[l], widths[l + 1]];
    const [w, b] = [weights[2 * l], weights[2 * l + 1]];
    const out = new Float64Array(rows * n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        let s = b[j];
        for (let p = 0; p < k; p++) s += hs[l][i * k + p] * w[p * n + j];
        out[i * n + j] = l < layers - 1 ? Math.max(0, s) : s;
      }
    }
    hs.push(out);
  }
  const classes = widths[layers];
  const logits = hs[layers];
  let loss = 0;
  let dy: Float64Array = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
    loss += max + Math.log(sum) - row[labels[i]];
    for (let j = 0; j < classes; j++) dy[i * classes + j] = (Math.exp(row[j] - max) / sum - (labels[i] === j ? 1 : 0)) / rows;
  }
  const grads: Float64Array[] = [];
  for (let l = layers - 1; l >= 0; l--) {
    const [k, n] = [widths[l], widths[l + 1]];
    const dz = dy.map((g, e) => (l < layers - 1 && !(hs[l + 1][e] > 0) ? 0 : g));
    const dw = new Float64Array(k * n);
    const db = new Float64Array(n);
    const dh = new Float64Array(rows * k);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        const g = dz[i * n + j];
        db[j] += g;
        for (let p = 0; p < k; p++) {
          dw[p * n + j] += hs[l][i * k + p] * g;
          dh[i * k + p] += g * weights[2 * l][p * n + j];
        }
      }
    }
    grads.unshift(dw, db);
    dy = dh;
  }
  return [Float64Array.of(loss / rows), ...grads];
}

describe('the fused dense training step', () => {
  before(async () => {
    await initWasmWithFixes();
  });

  const rows = 37;
  const inputs = () => [tf.randomNormal([rows, 5, 6], 0, 1, 'float32', 11), tf.randomUniform([rows], 0, 7, 'int32', 12) as tf.Tensor1D] as const;

  for (const product of PRODUCTS) {
    it(`loss and gradients within float32 rounding of a float64 reference (${product.name})`, async () => {
      await withEnv(NATIVE_ENV_VAR, product.native, () => {
        const model = oddMlp();
        const [x, y] = inputs();
        const got = stepOutputs(model, x, y, 0, true);
        const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
        const ref = float64Reference(x.dataSync() as Float32Array, y.dataSync() as Int32Array, rows, weights, [30, 23, 19, 7]);
        tf.dispose([x, y]);
        model.dispose();
        assert.equal(got.length, ref.length);
        got.forEach((g, k) => {
          const err = normwise(g, ref[k]);
          assert.ok(err <= 1e-6, `output ${k} (loss, then dw/db per layer): normwise error ${err}`);
        });
      });
    });

    it(`bit-identical to tfjs's gradient tape over the same layers, whole stack and frozen prefixes (${product.name})`, async () => {
      await withEnv(NATIVE_ENV_VAR, product.native, () => {
        const model = oddMlp();
        const [x, y] = inputs();
        // from 1: Flatten frozen (weightless), from 2: fc1 frozen (its output computed outside the tape).
        for (const from of [0, 1, 2, 3]) {
          const fused = stepOutputs(model, x, y, from, true);
          const tape = stepOutputs(model, x, y, from, false);
          assert.equal(fused.length, tape.length);
          fused.forEach((f, k) => assert.ok(f.every((v, i) => Object.is(v, tape[k][i])), `from layer ${from}: output ${k} differs from the tape's`));
        }
        tf.dispose([x, y]);
        model.dispose();
      });
    });
  }

  it('a frozen prefix gets no gradient: the kernel takes only the trainable layers, and computes no input gradient', async () => {
    const model = oddMlp();
    const [x, y] = inputs();
    const plan = forwardPlan(model.layers);
    const variables = model.layers.slice(2).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    const info = await tf.profile(() => {
      const h = runLayers(plan, x, 0, 2, false, 0);
      const out = denseStepGradients(plan, h, y, 2, variables, 7)!;
      tf.dispose([h, out.value, ...Object.values(out.grads)]);
    });
    const step = info.kernels.filter((k) => k.name === DENSE_STACK_GRADS);
    assert.equal(step.length, 1);
    // x, labels and fc2's and out's kernel and bias; outputs: the loss and those four gradients.
    assert.deepEqual(step[0].inputShapes, [[rows, 23], [rows], [23, 19], [19], [19, 7], [7]]);
    assert.deepEqual(step[0].outputShapes, [[], [23, 19], [19], [19, 7], [7]]);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('steps aside where it does not apply, and with MODEL_LAB_DENSE_STEP=0', async () => {
    const model = oddMlp();
    const plan = forwardPlan(model.layers);
    const all = model.trainableWeights.map((w) => w.read() as tf.Variable);
    assert.deepEqual(denseStepPlan(plan, 0, all).layers, model.layers.slice(1).map((l) => l.name));
    await withEnv(DENSE_STEP_ENV_VAR, '0', () => assert.match(denseStepPlan(plan, 0, all).reason ?? '', /MODEL_LAB_DENSE_STEP=0/));
    assert.match(denseStepPlan(plan, 0, all.slice(2)).reason ?? '', /variables/, 'a layer not trained inside the stack');
    const withDropout = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 3, activation: 'softmax' })],
    });
    const dropoutVars = withDropout.trainableWeights.map((w) => w.read() as tf.Variable);
    assert.match(denseStepPlan(forwardPlan(withDropout.layers), 0, dropoutVars).reason ?? '', /not all dense/);
    tf.tidy(() => {
      assert.equal(denseStepGradients(forwardPlan(withDropout.layers), tf.ones([2, 4]), tf.tensor1d([0, 1], 'int32'), 0, dropoutVars, 3), undefined);
    });
    const tanh = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'tanh' }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    assert.match(denseStepPlan(forwardPlan(tanh.layers), 0, tanh.trainableWeights.map((w) => w.read() as tf.Variable)).reason ?? '', /not all dense/);
    // The head of a model whose first layer is not dense applies from the first dense layer.
    assert.deepEqual(denseStepPlan(forwardPlan(tanh.layers), 1, tanh.trainableWeights.slice(2).map((w) => w.read() as tf.Variable)).layers, [tanh.layers[1].name]);
    for (const m of [model, withDropout, tanh]) m.dispose();
  });

  /** Trains the fixture MLP with `freezing`; the weights, the result, the log lines about the step's path, and the frozen layers' check. */
  async function trainOnce(freezing: FreezingConfig): Promise<{ result: TrainResult; weights: Float32Array[]; logs: string[] }> {
    const data = prototypeData({ train: 300, test: 60, classes: 5, shape: [20], seed: 3, noise: 1.2 });
    const exp = experiment(MLP, { epochs: 3, batchSize: 32, freezing });
    const model = await buildModel(exp.model, { exampleShape: [20], inputDtype: 'float32', seed: 7 });
    const logs: string[] = [];
    const atFreeze = new Map<string, Float32Array[]>();
    const result = await train({
      experiment: exp, data, model, policy: createPolicy(exp.freezing), runId: 't', backend: 'wasm', shouldStop: () => false,
      onEvent: (e: RunEvent) => {
        if (e.type === 'log' && e.message.startsWith('training step:')) logs.push(e.message);
        if (e.type === 'freeze') atFreeze.set(e.layer, snapshot(model.getLayer(e.layer).getWeights()));
      },
    });
    for (const [layer, weights] of atFreeze) assert.deepEqual(snapshot(model.getLayer(layer).getWeights()), weights, `${freezing.policy}: frozen ${layer} changed`);
    const weights = snapshot(model.getWeights());
    model.dispose();
    return { result, weights, logs };
  }

  const fusedLog = (layers: string) => `training step: one fused kernel for the dense layers ${layers} (MODEL_LAB_DENSE_STEP=0: tfjs's gradient tape)`;

  it('training: the same weights as the tape path bit for bit, with a layer frozen mid-run, Adam behind or not; the log says which path ran', async () => {
    const freezing: FreezingConfig = { policy: 'static', layers: ['fc1'], atEpoch: 1, cache: false };
    setKernelThreads(2);
    try {
      const fused = await trainOnce(freezing);
      const inLine = await withEnv(OVERLAP_ENV_VAR, '0', () => trainOnce(freezing));
      const tape = await withEnv(DENSE_STEP_ENV_VAR, '0', () => trainOnce(freezing));
      assert.deepEqual(fused.result.freezeEvents.map((f) => f.layer), ['fc1']);
      // On 2 threads with the native module, every fused step's Adam ran behind the next step's start.
      assert.deepEqual(fused.result.stepPaths, { fused: 30, tape: 0, behind: nativeElementwise()?.adamMany ? 30 : 0 });
      assert.deepEqual(inLine.result.stepPaths, { fused: 30, tape: 0, behind: 0 });
      assert.deepEqual(tape.result.stepPaths, { fused: 0, tape: 30, behind: 0 });
      for (const other of [inLine, tape]) {
        fused.weights.forEach((w, k) => assert.ok(w.every((v, i) => Object.is(v, other.weights[k][i])), `weight ${k} differs between the fused step and ${other === tape ? 'the tape' : 'Adam in line'}`));
        assert.equal(fused.result.history.at(-1)?.loss, other.result.history.at(-1)?.loss);
      }
      assert.deepEqual(fused.logs, [fusedLog('fc1, fc2, out'), fusedLog('fc2, out')]);
      assert.deepEqual(tape.logs, ['training step: tfjs\'s gradient tape (not the fused dense step: MODEL_LAB_DENSE_STEP=0)']);
    } finally {
      setKernelThreads(undefined);
    }
  });

  // FreezeOut scales each unit's update (the optimizer then runs its kernel, not in place), AutoFreeze
  // reads gradient norms; the prefix cache feeds the stack from the frozen layers' stored outputs.
  for (const freezing of [{ policy: 'linear', t0: 0.3 }, { policy: 'autofreeze', intervalSteps: 5 }, { policy: 'static', prefix: 1, atEpoch: 1 }] as FreezingConfig[]) {
    it(`training with ${freezing.policy}${freezing.prefix ? ' (prefix cache)' : ''}: the same weights and freezes as the tape path`, async () => {
      const fused = await trainOnce(freezing);
      const tape = await withEnv(DENSE_STEP_ENV_VAR, '0', () => trainOnce(freezing));
      assert.ok(fused.result.stepPaths.fused > 0 && fused.result.stepPaths.tape === 0, JSON.stringify(fused.result.stepPaths));
      assert.ok(fused.result.freezeEvents.length > 0, `${freezing.policy} froze nothing`);
      assert.deepEqual(fused.result.freezeEvents, tape.result.freezeEvents);
      fused.weights.forEach((w, k) => assert.ok(w.every((v, i) => Object.is(v, tape.weights[k][i])), `weight ${k} differs between the fused step and the tape`));
    });
  }
});
