import { afterEach, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV_VAR, initBackend } from '../../../src/core/tensor/backend';
import { isUserError } from '../../../src/core/errors';
import { WASM_KERNEL_FIXES } from '../../../src/core/tensor/wasm';

const tfjsNodeInstalled = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('initBackend', () => {
  const savedEnv = process.env[BACKEND_ENV_VAR];
  afterEach(() => {
    if (savedEnv === undefined) delete process.env[BACKEND_ENV_VAR];
    else process.env[BACKEND_ENV_VAR] = savedEnv;
  });

  it('auto picks native TensorFlow when installed, else wasm with the kernel fixes', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const info = await initBackend();
    assert.equal(tf.getBackend(), info.name);
    if (tfjsNodeInstalled) {
      assert.equal(info.name, 'tensorflow');
    } else {
      assert.equal(info.name, 'wasm');
      assert.deepEqual(info.patchedKernels, WASM_KERNEL_FIXES.map((f) => f.kernelName));
      assert.ok(info.threads >= 1);
      assert.equal(typeof info.simd, 'boolean');
      // The backend computes: a transposed matmul (a patched kernel) gives the right numbers.
      const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]), true, false);
      assert.deepEqual(product.arraySync(), [[26, 30], [38, 44]]);
      product.dispose();
    }
  });

  it('is idempotent: a second call returns an equal info and does not wrap kernels twice', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const first = await initBackend('wasm');
    const kernel = tf.getKernel('BatchMatMul', 'wasm');
    const second = await initBackend('wasm');
    assert.deepEqual(second, first);
    assert.equal(tf.getKernel('BatchMatMul', 'wasm'), kernel);
  });

  it('selects the cpu backend on request', async () => {
    delete process.env[BACKEND_ENV_VAR];
    const info = await initBackend('cpu');
    assert.deepEqual(info, { name: 'cpu', threads: 1, simd: false, fma: false, patchedKernels: [] });
    assert.equal(tf.getBackend(), 'cpu');
  });

  it(`lets ${BACKEND_ENV_VAR} override the argument`, async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    assert.equal((await initBackend('wasm')).name, 'cpu');
    process.env[BACKEND_ENV_VAR] = 'wasm';
    assert.equal((await initBackend('cpu')).name, 'wasm');
  });

  it('rejects an unknown backend name with a user error naming where it came from', async () => {
    delete process.env[BACKEND_ENV_VAR];
    await assert.rejects(initBackend('gpu' as never), (e: unknown) =>
      isUserError(e) && /backend must be one of auto, tensorflow, wasm, cpu; got 'gpu'/.test(e.message));
    process.env[BACKEND_ENV_VAR] = 'fast';
    await assert.rejects(initBackend(), (e: unknown) => isUserError(e) && e.message.startsWith(`${BACKEND_ENV_VAR} must be one of`));
  });

  it('explains how to get the native backend when it was asked for but is not installed', { skip: tfjsNodeInstalled }, async () => {
    delete process.env[BACKEND_ENV_VAR];
    await assert.rejects(initBackend('tensorflow'), (e: unknown) => isUserError(e) && /@tensorflow\/tfjs-node/.test(e.message));
  });
});
