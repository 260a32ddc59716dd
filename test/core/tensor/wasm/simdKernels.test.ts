import { afterEach, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chooseSimdKernels, SIMD_KERNELS_FILE, SIMD_KERNELS_FMA_FILE, simdKernelsPath, type SimdKernels } from '../../../../src/core/tensor/wasm/simdKernels';

/** One build of the kernels on a fresh memory of its own (shared, as the kernels import the backend's shared memory). */
function instantiate(file: string): { kernels: SimdKernels; heap: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory } });
  return { kernels: instance.exports as unknown as SimdKernels, heap: new Float32Array(memory.buffer) };
}

/** Deterministic values in [-1, 1). */
function fill(out: Float32Array, seed: number): void {
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
}

describe('SIMD kernel builds', () => {
  const saved = process.env.MODEL_LAB_WASM_FMA;
  afterEach(() => {
    if (saved === undefined) delete process.env.MODEL_LAB_WASM_FMA;
    else process.env.MODEL_LAB_WASM_FMA = saved;
  });

  it('chooses the fused multiply-add build on this runtime (Node 20 behind its flag, newer by default)', () => {
    delete process.env.MODEL_LAB_WASM_FMA;
    const chosen = chooseSimdKernels();
    assert.ok(chosen, 'npm run build first');
    assert.equal(path.basename(chosen.file), SIMD_KERNELS_FMA_FILE);
    assert.equal(chosen.fma, true);
  });

  it('chooses the plain build when MODEL_LAB_WASM_FMA=0', () => {
    process.env.MODEL_LAB_WASM_FMA = '0';
    assert.deepEqual(chooseSimdKernels(), { file: simdKernelsPath(SIMD_KERNELS_FILE), fma: false });
  });

  // The matrix product on raw offsets, both builds, against a float64 product: partial 4 x 8
  // tiles, several k-slices (k = 600 is three of 200), several 128-row blocks, every layout.
  const shapes = [
    { m: 1, k: 1, n: 1 },
    { m: 13, k: 600, n: 21 },
    { m: 300, k: 150, n: 17 },
    { m: 130, k: 257, n: 40 },
  ];
  for (const file of [SIMD_KERNELS_FILE, SIMD_KERNELS_FMA_FILE]) {
    for (const { m, k, n } of shapes) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        it(`${file}: matMul ${m}x${k}x${n}, transposeA ${tA}, transposeB ${tB}`, () => {
          const found = simdKernelsPath(file);
          assert.ok(found, 'npm run build first');
          const { kernels, heap } = instantiate(found);
          const [a, b, c, scratch] = [0, m * k, m * k + k * n, m * k + k * n + m * n];
          assert.ok((scratch + kernels.matMulScratch(n, k)) * 4 <= heap.byteLength);
          fill(heap.subarray(a, a + m * k), 1);
          fill(heap.subarray(b, b + k * n), 2);
          heap.fill(Number.NaN, c, c + m * n); // every output must be written
          kernels.matMul(m, n, k, a * 4, tA ? 4 : k * 4, tA ? m * 4 : 4, b * 4, tB ? 1 : 0, c * 4, scratch * 4);
          let worst = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = 0;
              for (let p = 0; p < k; p++) sum += heap[a + (tA ? p * m + i : i * k + p)] * heap[b + (tB ? j * k + p : p * n + j)];
              worst = Math.max(worst, Math.abs(heap[c + i * n + j] - sum));
            }
          }
          assert.ok(worst <= 1e-5 * Math.sqrt(k), `max error ${worst}`);
        });
      }
    }
  }
});
