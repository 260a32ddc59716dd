import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { adamStepsInPlace, type AdamStepAttrs, type AdamVariable } from '../../../../src/core/tensor/wasm/adam';
import { fence, OVERLAP_ENV_VAR, runningBehind } from '../../../../src/core/tensor/wasm/behind';
import { NATIVE_ENV_VAR, nativeElementwise, nativeMatMul } from '../../../../src/core/tensor/wasm/nativeGemm';
import { heapOffset } from '../../../../src/core/tensor/wasm/simdKernels';
import { setKernelThreads } from '../../../../src/core/tensor/wasm/threads';
import { initWasmWithFixes, values } from '../backendComparison';

/**
 * Adam left running behind the main thread on the native threads (`tensor/wasm/behind.ts`): the
 * same weights as in line, bit for bit; joined before anything reads or frees what it writes
 * (the weights, the moments), by any route (a read, a kernel, a native call, a dispose); the
 * gradients it reads keep their memory until then although they are disposed; one thread, or
 * `MODEL_LAB_ADAM_OVERLAP=0`, never leaves it behind.
 */
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

const attrs: AdamStepAttrs = {
  learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, oneMinusAccBeta1: Math.fround(1 - 0.9 ** 3), oneMinusAccBeta2: Math.fround(1 - 0.999 ** 3),
};

/** Sizes over several blocks of 16,384 elements, with tails, and a bias-sized one. */
const SIZES = [40_003, 513, 20_000];

/** Fresh variables (w, m, v: nothing else holds their buffers) and gradients g for SIZES, the same values on every call. */
function variables(): AdamVariable[] {
  return SIZES.map((n, j) => tf.tidy(() => ({
    w: tf.variable(values([n], 10 * j + 1)),
    g: values([n], 10 * j + 2),
    m: tf.variable(values([n], 10 * j + 3)),
    v: tf.variable(tf.abs(values([n], 10 * j + 4))),
  })));
}

const read = (vars: AdamVariable[]) => vars.flatMap(({ w, m, v }) => [w, m, v].map((t) => t.dataSync().slice() as Float32Array));
const sameBits = (a: Float32Array[], b: Float32Array[], what: string) =>
  a.forEach((x, k) => assert.ok(x.every((e, i) => Object.is(e, b[k][i])), `${what}: tensor ${k} differs`));

describe('Adam behind the main thread', { skip: linuxX64 ? false : 'the native module is built for linux-x64 only' }, () => {
  const saved = process.env[NATIVE_ENV_VAR];
  let expected: Float32Array[];
  before(async () => {
    delete process.env[NATIVE_ENV_VAR];
    await initWasmWithFixes();
    // The reference: one thread, in line.
    setKernelThreads(1);
    const vars = variables();
    assert.equal(adamStepsInPlace(vars, attrs, true).behind, false, 'one thread: in line');
    assert.equal(runningBehind(), false);
    expected = read(vars);
    tf.dispose(vars.flatMap((t) => [t.w, t.g, t.m, t.v]));
  });
  after(() => {
    fence();
    setKernelThreads(undefined);
    if (saved === undefined) delete process.env[NATIVE_ENV_VAR];
    else process.env[NATIVE_ENV_VAR] = saved;
  });

  for (const threads of [2, 3]) {
    it(`${threads} threads: left behind, joined when a weight is read, the same weights bit for bit`, () => {
      assert.ok(nativeElementwise()?.adamMany, 'the native module has adamMany');
      setKernelThreads(threads);
      const vars = variables();
      const { rest, behind } = adamStepsInPlace(vars, attrs, true);
      assert.deepEqual(rest, []);
      assert.equal(behind, true);
      assert.equal(runningBehind(), true);
      const w0 = vars[0].w.dataSync();
      assert.equal(runningBehind(), false, 'reading a weight joined the job');
      sameBits([w0 as Float32Array, ...read(vars).slice(1)], expected, `${threads} threads`);
      tf.dispose(vars.flatMap((t) => [t.w, t.g, t.m, t.v]));
    });
  }

  it('the gradients it reads keep their memory until the fence, though disposed; then it is freed', () => {
    setKernelThreads(2);
    const backend = tf.backend() as BackendWasm;
    const vars = variables();
    const buffersBefore = tf.memory().numDataBuffers;
    const gradOffsets = vars.map(({ g }) => heapOffset(backend, g));
    const gradBytes = SIZES.map((n) => 4 * n);
    adamStepsInPlace(vars, attrs, true);
    tf.dispose(vars.map(({ g }) => g));
    assert.equal(runningBehind(), true, 'disposing what the job only reads does not join it');
    // New tensors meanwhile do not land in the gradients' memory.
    const fresh = SIZES.map((n) => tf.zeros([n]));
    for (const t of fresh) {
      const at = heapOffset(backend, t);
      gradOffsets.forEach((g, k) => assert.ok(at + 4 * t.size <= g || at >= g + gradBytes[k], 'a new tensor overlaps a gradient still being read'));
    }
    fence();
    assert.equal(runningBehind(), false);
    tf.dispose(fresh);
    assert.equal(tf.memory().numDataBuffers, buffersBefore - vars.length, 'the gradients were freed at the fence, and the engine forgot them');
    sameBits(read(vars), expected, 'after disposed gradients');
    tf.dispose(vars.flatMap((t) => [t.w, t.m, t.v]));
  });

  it('joined before a kernel reads a weight, before a native call, and before a weight is disposed', () => {
    setKernelThreads(2);
    const backend = tf.backend() as BackendWasm;
    // A kernel (tfjs's Add) on a weight.
    let vars = variables();
    adamStepsInPlace(vars, attrs, true);
    const sum = tf.add(vars[1].w, 0);
    assert.equal(runningBehind(), false, 'a kernel reading a weight joined the job');
    sameBits([sum.dataSync() as Float32Array], [expected[3]], 'the kernel read the updated weight');
    tf.dispose([sum, ...vars.flatMap((t) => [t.w, t.g, t.m, t.v])]);
    // A native product on the updated weight, from offsets taken before the job started: the module joins first.
    vars = variables();
    const row = tf.ones([1, SIZES[1]]);
    const out = tf.zeros([1, 1]);
    const [pr, pw, po] = [row, vars[1].w, out].map((t) => heapOffset(backend, t));
    adamStepsInPlace(vars, attrs, true);
    nativeMatMul(nativeElementwise()!, backend, 1, 1, SIZES[1], pr, false, pw, false, po);
    fence();
    const dot = expected[3].reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(out.dataSync()[0] - dot) <= 1e-3 * Math.max(1, Math.abs(dot)), `the product read the updated weight (${out.dataSync()[0]} vs ${dot})`);
    tf.dispose([row, out, ...vars.flatMap((t) => [t.w, t.g, t.m, t.v])]);
    // Disposing a moment the job writes.
    vars = variables();
    adamStepsInPlace(vars, attrs, true);
    vars[2].m.dispose();
    assert.equal(runningBehind(), false, 'disposing a moment joined the job first');
    tf.dispose(vars.flatMap((t) => [t.w, t.g, t.v, ...(t === vars[2] ? [] : [t.m])]));
  });

  it(`${OVERLAP_ENV_VAR}=0 and one thread: joined before the call returns, the same weights`, () => {
    for (const [threads, env] of [[2, '0'], [1, undefined]] as const) {
      setKernelThreads(threads);
      if (env === undefined) delete process.env[OVERLAP_ENV_VAR];
      else process.env[OVERLAP_ENV_VAR] = env;
      try {
        const vars = variables();
        assert.equal(adamStepsInPlace(vars, attrs, true).behind, false);
        assert.equal(runningBehind(), false);
        sameBits(read(vars), expected, `${threads} thread(s), ${OVERLAP_ENV_VAR}=${env}`);
        tf.dispose(vars.flatMap((t) => [t.w, t.g, t.m, t.v]));
      } finally {
        delete process.env[OVERLAP_ENV_VAR];
      }
    }
  });
});
