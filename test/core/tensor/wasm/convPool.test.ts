import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { CONV_POOL, CONV_POOL_ENV_VAR, convPoolApplies, convPoolLayer } from '../../../../src/core/tensor/wasm/convPool';
import { convLayer } from '../../../../src/core/tensor/wasm/fusedLayers';
import { setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import { forwardPlan, runLayers } from '../../../../src/core/train/forward';
import { initWasmWithFixes } from '../backendComparison';

/**
 * The fused conv + 2x2/2 max-pool layer (few input channels): its output equals the unfused
 * layer's (im2col conv layer, then tfjs's max pooling) bit for bit; its gradients (input, filter,
 * bias) are within 1e-6 normwise (max |got - ref| / max |ref|) of a float64 direct convolution
 * routed through the same window maxima (measured at most 3e-7; the unfused layer's errors against
 * the same reference, printed next to them, at most 2.6e-7); results are bit-identical on 1, 2 and 3 threads.
 */
describe('fused conv + 2x2 max-pool layer (wasm)', () => {
  before(initWasmWithFixes);
  after(() => setKernelThreads(undefined));

  const fused = (pad: 'valid' | 'same', relu: boolean) => (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => convPoolLayer(x, f, b, pad, relu);
  const unfused = (pad: 'valid' | 'same', relu: boolean) => (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
    tf.maxPool(convLayer(x, f, b, { strides: [1, 1], pad, relu }) as tf.Tensor4D, 2, 2, 'valid');

  const normwise = (got: Float32Array, ref: Float64Array) => {
    let err = 0;
    let scale = 0;
    for (let k = 0; k < ref.length; k++) {
      err = Math.max(err, Math.abs(got[k] - ref[k]));
      scale = Math.max(scale, Math.abs(ref[k]));
    }
    return err / scale;
  };

  /**
   * Float64 gradients [dx, df, db] of sum(r * pool(relu?(conv(x, f) + b))): each pooled value's
   * gradient goes to its window's first maximum of `z` (the float32 conv output, so both decide
   * alike where two values are within rounding), and nowhere where ReLU gave 0.
   */
  function referenceGradients(x: Float32Array, xs: number[], f: Float32Array, fs: number[], z: Float32Array, zs: number[], r: Float32Array,
    y: Float32Array, pt: number, pl: number, relu: boolean) {
    const [N, H, W, C] = xs;
    const [fh, fw, , O] = fs;
    const [, oh, ow] = zs;
    const ph = Math.floor(oh / 2);
    const pw = Math.floor(ow / 2);
    const dz = new Float64Array(z.length);
    for (let n = 0; n < N; n++) for (let p = 0; p < ph; p++) for (let q = 0; q < pw; q++) for (let o = 0; o < O; o++) {
      const at = ((n * ph + p) * pw + q) * O + o;
      if (relu && !(y[at] > 0)) continue;
      let best = -1;
      for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const k = ((n * oh + 2 * p + i) * ow + 2 * q + j) * O + o;
        if (best < 0 || z[k] > z[best]) best = k;
      }
      dz[best] += r[at];
    }
    const dx = new Float64Array(x.length);
    const df = new Float64Array(f.length);
    const db = new Float64Array(O);
    for (let n = 0; n < N; n++) for (let p = 0; p < oh; p++) for (let q = 0; q < ow; q++) for (let o = 0; o < O; o++) {
      const g = dz[((n * oh + p) * ow + q) * O + o];
      if (g === 0) continue;
      db[o] += g;
      for (let i = 0; i < fh; i++) {
        const h = p + i - pt;
        if (h < 0 || h >= H) continue;
        for (let j = 0; j < fw; j++) {
          const w = q + j - pl;
          if (w < 0 || w >= W) continue;
          for (let c = 0; c < C; c++) {
            const xi = ((n * H + h) * W + w) * C + c;
            const fi = ((i * fw + j) * C + c) * O + o;
            dx[xi] += g * f[fi];
            df[fi] += g * x[xi];
          }
        }
      }
    }
    return [dx, df, db];
  }

  type Layer = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.Tensor;

  /** [y, dx, df, db] of `layer` (gradients of sum(r * y) for a fixed random r). */
  function run(layer: Layer, xs: number[], fs: number[]): Float32Array[] {
    return tf.tidy(() => {
      const x = tf.randomNormal(xs, 0, 1, 'float32', 1);
      const f = tf.randomNormal(fs, 0, 0.3, 'float32', 2);
      const b = tf.randomNormal([fs[3]], 0, 0.3, 'float32', 3);
      const y = layer(x, f, b);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
      const grads = tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(layer(xv, fv, bv), r)))([x, f, b]);
      return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
    });
  }

  const cases = [
    { xs: [3, 28, 28, 1], fs: [3, 3, 1, 32] }, // the reference CNN's first layer, 3 images
    { xs: [2, 13, 11, 3], fs: [3, 3, 3, 12] }, // odd sizes: the last conv row/column is in no window ('valid')
    { xs: [2, 9, 10, 2], fs: [5, 5, 2, 4] },
    { xs: [1, 7, 8, 4], fs: [2, 3, 4, 8] },
  ];
  for (const { xs, fs } of cases) {
    for (const pad of ['valid', 'same'] as const) {
      for (const relu of [true, false]) {
        it(`x${JSON.stringify(xs)} f${JSON.stringify(fs)} ${pad} ${relu ? 'ReLU' : 'linear'}: the unfused output bit for bit, gradients within 1e-6 of float64`, () => {
          assert.ok(convPoolApplies(xs, fs, [1, 1], pad));
          const [y, ...grads] = run(fused(pad, relu), xs, fs);
          const [yRef, ...unfusedGrads] = run(unfused(pad, relu), xs, fs);
          assert.deepEqual(y, yRef);
          const reference = tf.tidy(() => {
            const x = tf.randomNormal(xs, 0, 1, 'float32', 1);
            const f = tf.randomNormal(fs, 0, 0.3, 'float32', 2);
            // Without the bias: the kernel compares the sums before adding it.
            const z = convLayer(x, f, tf.zeros([fs[3]]), { strides: [1, 1], pad, relu: false });
            const r = tf.randomNormal([y.length], 0, 1, 'float32', 4);
            const c = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], fs as [number, number, number, number], 1, 1, pad);
            return referenceGradients(x.dataSync() as Float32Array, xs, f.dataSync() as Float32Array, fs, z.dataSync() as Float32Array, z.shape,
              r.dataSync() as Float32Array, y, c.padInfo.top, c.padInfo.left, relu);
          });
          const names = ['dx', 'df', 'db'];
          const errs = grads.map((g, k) => normwise(g, reference[k]));
          const unfusedErrs = unfusedGrads.map((g, k) => normwise(g, reference[k]));
          console.log(`# ${JSON.stringify(xs)} ${JSON.stringify(fs)} ${pad} relu=${relu}: fused ${errs.map((e, k) => `${names[k]} ${e.toExponential(1)}`).join(', ')}; unfused ${unfusedErrs.map((e) => e.toExponential(1)).join(', ')}`);
          errs.forEach((e, k) => assert.ok(e <= 1e-6, `${names[k]}: normwise error ${e} > 1e-6 (unfused: ${unfusedErrs[k]})`));
        });
      }
    }
  }

  it('on 2 and 3 threads equals 1 thread, output and gradients', () => {
    const shape = [9, 28, 28, 1];
    const filter = [3, 3, 1, 32];
    setKernelThreads(1);
    const one = run(fused('valid', true), shape, filter);
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      const many = run(fused('valid', true), shape, filter);
      many.forEach((values, k) => assert.ok(values.every((v, i) => Object.is(v, one[k][i])), `${threads} threads: result ${k} differs`));
    }
    setKernelThreads(undefined);
  });

  it('applies to stride-1 layers with <= 4 input channels and output channels in fours, not to Winograd layers', () => {
    assert.ok(convPoolApplies([8, 28, 28, 1], [3, 3, 1, 32], [1, 1], 'valid'));
    assert.ok(!convPoolApplies([8, 28, 28, 1], [3, 3, 1, 32], [2, 2], 'valid'), 'stride 2');
    assert.ok(!convPoolApplies([8, 28, 28, 5], [3, 3, 5, 32], [1, 1], 'valid'), '5 input channels');
    assert.ok(!convPoolApplies([8, 28, 28, 1], [3, 3, 1, 30], [1, 1], 'valid'), '30 output channels');
    assert.ok(!convPoolApplies([8, 3, 3, 1], [3, 3, 1, 32], [1, 1], 'valid'), 'a 1x1 conv output has no 2x2 window');
  });

  /** Kernel names a training step of conv(relu) -> maxPool(2) -> flatten -> dense runs through `runLayers`. */
  async function trainingKernels(pool: tf.layers.Layer): Promise<string[]> {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
        pool,
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const plan = forwardPlan(model.layers);
    const x = tf.randomNormal([4, 12, 12, 1]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { kernels } = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(runLayers(plan, x, 0, plan.layers.length, true, 0)) as tf.Scalar, variables);
      tf.dispose(grads);
      return value;
    });
    x.dispose();
    model.dispose();
    return kernels.map((k) => k.name);
  }

  it('training runs a conv layer and its 2x2 max pooling as this kernel; other pooling, or MODEL_LAB_CONV_POOL=0, unfused', async () => {
    const names = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2 }));
    assert.ok(names.includes(CONV_POOL) && !names.includes('MaxPool') && !names.includes('MaxPoolGrad'), names.join());
    const other = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2, strides: 1 }));
    assert.ok(!other.includes(CONV_POOL) && other.includes('MaxPool'), other.join());
    process.env[CONV_POOL_ENV_VAR] = '0';
    try {
      const off = await trainingKernels(tf.layers.maxPooling2d({ poolSize: 2 }));
      assert.ok(!off.includes(CONV_POOL) && off.includes('MaxPool'), off.join());
    } finally {
      delete process.env[CONV_POOL_ENV_VAR];
    }
  });

  it('leaks no tensors, forward and backward', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 10, 10, 1]);
      const f = tf.randomNormal([3, 3, 1, 8]);
      const b = tf.zeros([8]);
      tf.grads((xv: tf.Tensor, fv: tf.Tensor, bv: tf.Tensor) => tf.sum(convPoolLayer(xv, fv, bv, 'valid', true)))([x, f, b]);
    });
    assert.equal(tf.memory().numTensors, before);
  });
});
