import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV_VAR, initBackend, type BackendInfo } from '../../../src/core/tensor/backend';

/**
 * Test helper: runs the same computation on the cpu backend (tfjs's reference implementation)
 * and on wasm with this project's kernel fixes, and compares the results.
 */

/** Initialises wasm with the fixes regardless of MODEL_LAB_BACKEND (these tests are about wasm). */
export async function initWasmWithFixes(): Promise<BackendInfo> {
  const saved = process.env[BACKEND_ENV_VAR];
  delete process.env[BACKEND_ENV_VAR];
  try {
    const info = await initBackend('wasm');
    assert.equal(info.name, 'wasm');
    return info;
  } finally {
    if (saved !== undefined) process.env[BACKEND_ENV_VAR] = saved;
  }
}

export interface Computed {
  shapes: number[][];
  values: Float32Array[];
}

/** Runs `compute` on `backend`, reads every output, frees everything it created. */
export async function computeOn(backend: 'cpu' | 'wasm', compute: () => tf.Tensor | tf.Tensor[]): Promise<Computed> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outputs = tf.tidy(compute);
  const list = Array.isArray(outputs) ? outputs : [outputs];
  const result = {
    shapes: list.map((t) => t.shape),
    values: list.map((t) => Float32Array.from(t.dataSync())),
  };
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before, `${backend}: the computation leaked tensors`);
  return result;
}

/**
 * Asserts the wasm result matches cpu's within a float tolerance relative to the magnitude of
 * the values (sums of many float32 products differ in the last bits between implementations).
 */
export async function assertWasmMatchesCpu(
  compute: () => tf.Tensor | tf.Tensor[],
  tolerance = 1e-4,
  label = '',
  /** A different computation for wasm that must give the same result (default: `compute`). */
  wasmCompute = compute,
): Promise<Computed> {
  const cpu = await computeOn('cpu', compute);
  const wasm = await computeOn('wasm', wasmCompute);
  assert.deepEqual(wasm.shapes, cpu.shapes, `${label}: shapes differ`);
  cpu.values.forEach((expected, k) => {
    const actual = wasm.values[k];
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    let worst = 0;
    let at = -1;
    for (let n = 0; n < expected.length; n++) {
      const err = Math.abs(actual[n] - expected[n]);
      if (!(err <= worst)) { worst = err; at = n; }
    }
    assert.ok(worst <= tolerance * scale,
      `${label} output ${k}: max |wasm - cpu| = ${worst} at ${at} (wasm ${actual[at]}, cpu ${expected[at]}), allowed ${tolerance * scale}`);
  });
  await tf.setBackend('wasm');
  return wasm;
}

/** Deterministic pseudo-random values in [-1, 1), so both backends see identical inputs. */
export function values(shape: number[], seed: number): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const data = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let n = 0; n < size; n++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[n] = s / 2 ** 31 - 1;
  }
  return tf.tensor(data, shape);
}

/** Runs a kernel function directly on the wasm backend (e.g. one built with test parameters). */
export function runOnWasm(kernel: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  const out = kernel({ inputs, backend: tf.findBackend('wasm')!, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error('expected one output');
  return tf.engine().makeTensorFromTensorInfo(out);
}

/** A [fh, fw, c, m] filter with (dilation - 1) zeros inserted between taps: dilation as a plain filter. */
export function dilateFilter(filter: tf.Tensor4D, dilation: number): tf.Tensor4D {
  const [fh, fw, c, m] = filter.shape;
  const data = filter.arraySync();
  const out = tf.buffer([(fh - 1) * dilation + 1, (fw - 1) * dilation + 1, c, m]);
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let k = 0; k < c; k++) for (let n = 0; n < m; n++) {
    out.set(data[i][j][k][n], i * dilation, j * dilation, k, n);
  }
  return out.toTensor() as tf.Tensor4D;
}

type Shape4 = [number, number, number, number];

/**
 * The shape of the forward convolution's output for an input of `inputShape` (given in
 * `dataFormat`): the shape of `dy` in the conv gradient kernels' tests.
 */
export function convOutputShape(
  inputShape: Shape4, filterShape: Shape4, strides: number, pad: 'valid' | 'same' | number,
  opts: { dataFormat?: 'NHWC' | 'NCHW'; dilations?: number; depthwise?: boolean } = {},
): Shape4 {
  const nchw = opts.dataFormat === 'NCHW';
  const nhwc: Shape4 = nchw ? [inputShape[0], inputShape[2], inputShape[3], inputShape[1]] : inputShape;
  const out = tf.backend_util.computeConv2DInfo(nhwc, filterShape, strides, opts.dilations ?? 1, pad, undefined, opts.depthwise).outShape;
  return nchw ? [out[0], out[3], out[1], out[2]] : out;
}
