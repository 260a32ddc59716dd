import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { addProductABt, addProductABtJs, denseProductKernel } from '../../../src/core/reward/denseProduct';
import type { MatrixView, OutputView } from '../../../src/core/reward/matrixView';
import { createFloat64Gemm, GEMM64_FILE, GEMM64_FMA_FILE, gemm64Path } from '../../../src/core/reward/wasm/float64Gemm';
import { createRng } from '../../../src/core/util/random';

const BUILT = 'dist/gemm64.wasm missing: run npm run build';

/** out(i, j) += alpha * sum_k a(i, k) b(j, k) by the plain triple loop. */
function naive(rows: number, cols: number, depth: number, a: (i: number, k: number) => number, b: (j: number, k: number) => number, alpha: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let k = 0; k < depth; k++) s += a(i, k) * b(j, k);
      return alpha * s;
    }),
  );
}

type Kernel = (rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha?: number) => void;

/**
 * Checks a kernel against the triple loop on shapes that hit every tile remainder, the cache
 * blocks (depth 256, 1024 slices), offsets, row strides, and plain and transposed outputs that
 * already hold values (which must be kept).
 */
function checkAgainstLoop(kernel: Kernel, shapes: number[][]): void {
  const rng = createRng(3);
  for (const [rows, cols, depth] of shapes) {
    const aStride = depth + 3;
    const bStride = depth + 1;
    const a = Float64Array.from({ length: 2 + rows * aStride }, () => rng.next() * 2 - 1);
    const b = Float64Array.from({ length: 5 + cols * bStride }, () => rng.next() * 2 - 1);
    const expected = naive(rows, cols, depth, (i, k) => a[2 + i * aStride + k], (j, k) => b[5 + j * bStride + k], 0.5);
    for (const transposed of [false, true]) {
      const out = new Float64Array(3 + rows * cols).fill(1);
      const view = transposed ? { data: out, offset: 3, rowStride: 1, colStride: rows } : { data: out, offset: 3, rowStride: cols, colStride: 1 };
      kernel(rows, cols, depth, { data: a, offset: 2, rowStride: aStride }, { data: b, offset: 5, rowStride: bStride }, view, 0.5);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const got = out[3 + i * view.rowStride + j * view.colStride];
          assert.ok(Math.abs(got - 1 - expected[i][j]) < 1e-12, `${rows}x${cols}x${depth} ${transposed ? 'transposed ' : ''}at (${i}, ${j}): ${got - 1} vs ${expected[i][j]}`);
        }
      }
      assert.deepEqual([...out.subarray(0, 3)], [1, 1, 1], 'entries before the output view are untouched');
    }
  }
}

const SHAPES = [[1, 1, 1], [4, 2, 5], [7, 5, 9], [8, 4, 16], [9, 3, 2], [6, 71, 300], [130, 67, 257], [5, 6, 1100]];

test('JavaScript kernel matches the triple loop (tiles, remainders, cache blocks, offsets, strides)', () => {
  checkAgainstLoop(addProductABtJs, SHAPES);
});

test('wasm kernel matches the triple loop (tiles, remainders, cache and depth slices, offsets, strides)', async () => {
  const gemm = createFloat64Gemm({ threads: 1 });
  assert.ok(gemm, BUILT);
  checkAgainstLoop((...args) => assert.ok(gemm.addProductABt(...args)), SHAPES);
  await gemm.close();
});

test('addProductABt uses the wasm kernel when built and agrees with the JavaScript kernel', () => {
  assert.equal(denseProductKernel().kernel, 'wasm', BUILT);
  const rng = createRng(5);
  // DARD's shape: R_a rows strided inside R (offset a*S, stride A*S), T_a contiguous; and the
  // minimal canonicalisation's A = B (one operand, copied once).
  const S = 72;
  const A = 3;
  const r = Float64Array.from({ length: S * A * S }, () => rng.next() - 0.5);
  const t = Float64Array.from({ length: S * S }, () => rng.next());
  const views: [MatrixView, MatrixView][] = [
    [{ data: r, offset: 1 * S, rowStride: A * S }, { data: t, offset: 0, rowStride: S }],
    [{ data: t, offset: 0, rowStride: S }, { data: t, offset: 0, rowStride: S }],
  ];
  for (const [a, b] of views) {
    for (const out of [(d: Float64Array) => ({ data: d, offset: 0, rowStride: S, colStride: 1 }), (d: Float64Array) => ({ data: d, offset: 0, rowStride: 1, colStride: S })]) {
      const viaWasm = new Float64Array(S * S);
      const viaJs = new Float64Array(S * S);
      addProductABt(S, S, S, a, b, out(viaWasm), 0.25);
      addProductABtJs(S, S, S, a, b, out(viaJs), 0.25);
      let worst = 0;
      for (let i = 0; i < S * S; i++) worst = Math.max(worst, Math.abs(viaWasm[i] - viaJs[i]) / Math.max(1, Math.abs(viaJs[i])));
      assert.ok(worst < 1e-13, `relative difference ${worst}`);
    }
  }
});

/** DARD's term by per-action products, as canonicalize.ts does without the fused path. */
function dardTermByProducts(gemm: { addProductABt: Kernel }, S: number, A: number, r: Float64Array, packed: Float64Array, w: Float64Array, term: Float64Array): void {
  const bt = new Float64Array(S * S);
  for (let a = 0; a < A; a++) {
    if (w[a] === 0) continue;
    bt.fill(0);
    const ta = { data: packed, offset: a * S * S, rowStride: S };
    gemm.addProductABt(S, S, S, { data: r, offset: a * S, rowStride: A * S }, ta, { data: bt, offset: 0, rowStride: 1, colStride: S });
    gemm.addProductABt(S, S, S, ta, { data: bt, offset: 0, rowStride: S }, { data: term, offset: 0, rowStride: S, colStride: 1 }, w[a]);
  }
}

test('dardTerm (operands kept in wasm memory) equals the per-action products exactly (1- and 2-thread instances)', async () => {
  const rng = createRng(13);
  const S = 48;
  const A = 4;
  const packed = Float64Array.from({ length: A * S * S }, () => rng.next());
  const w = Float64Array.from([0.5, 0, 0.3, 0.2]);
  for (const threads of [1, 2]) {
    const gemm = createFloat64Gemm({ threads });
    assert.ok(gemm, BUILT);
    for (let rep = 0; rep < 3; rep++) {
      // Rep 1 reuses the resident T; before rep 2 an ordinary product overwrites that memory.
      if (rep === 2) gemm.addProductABt(S, S, S, { data: packed, offset: 0, rowStride: S }, { data: packed, offset: S * S, rowStride: S }, { data: new Float64Array(S * S), offset: 0, rowStride: S, colStride: 1 });
      const r = Float64Array.from({ length: S * A * S }, () => rng.next() - 0.5);
      const start = Float64Array.from({ length: S * S }, () => rng.next());
      const expected = Float64Array.from(start);
      dardTermByProducts(gemm as { addProductABt: Kernel }, S, A, r, packed, w, expected);
      const got = Float64Array.from(start);
      assert.ok(gemm.dardTerm(S, A, r, packed, w, got));
      assert.deepEqual(got, expected, `threads ${threads} rep ${rep}`);
      // And against the JavaScript kernel, up to rounding.
      const js = Float64Array.from(start);
      dardTermByProducts({ addProductABt: addProductABtJs }, S, A, r, packed, w, js);
      for (let i = 0; i < js.length; i++) assert.ok(Math.abs(got[i] - js[i]) <= 1e-13 * Math.max(1, Math.abs(js[i])), `at ${i}`);
    }
    // No padding in this path: S not a multiple of 4 is declined, leaving term untouched.
    const term = new Float64Array(42 * 42);
    assert.equal(gemm.dardTerm(42, 1, new Float64Array(42 * 42), new Float64Array(42 * 42), Float64Array.of(1), term), false);
    await gemm.close();
  }
});

test('helper threads: products shared between threads equal the single-thread products exactly', async () => {
  const single = createFloat64Gemm({ threads: 1 });
  const shared = createFloat64Gemm({ threads: 2 });
  assert.ok(single && shared, BUILT);
  const rng = createRng(11);
  // Varying shapes back to back exercise the hand-over of arguments between generations; all are
  // above the size for which helpers are used (2^21 multiply-adds).
  const shapes = [[160, 150, 100], [256, 200, 64], [97, 301, 130], [300, 260, 40]];
  // Until the helper took part (a condition, not a deadline: on a loaded machine a thread can take
  // many seconds to start); bounded by a count far beyond any start-up, so a broken pool fails.
  let products = 0;
  while (products < 12 || (shared.helperBlocks === 0 && products < 100_000)) {
    const [rows, cols, depth] = shapes[products++ % shapes.length];
    const a = Float64Array.from({ length: rows * depth }, () => rng.next() - 0.5);
    const b = Float64Array.from({ length: cols * depth }, () => rng.next() - 0.5);
    const av = { data: a, offset: 0, rowStride: depth };
    const bv = { data: b, offset: 0, rowStride: depth };
    const one = new Float64Array(rows * cols);
    const two = new Float64Array(rows * cols);
    single.addProductABt(rows, cols, depth, av, bv, { data: one, offset: 0, rowStride: cols, colStride: 1 });
    shared.addProductABt(rows, cols, depth, av, bv, { data: two, offset: 0, rowStride: cols, colStride: 1 });
    assert.deepEqual(two, one, `${rows}x${cols}x${depth}`);
    // Give the helper time to start (the first large product starts it in the background).
    if (shared.helpersReady === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(shared.helperBlocks > 0, 'the helper thread took part');
  await Promise.all([single.close(), shared.close()]);
});

test('loads the fused multiply-add build on this runtime, the plain one with MODEL_LAB_WASM_FMA=0', () => {
  const saved = process.env.MODEL_LAB_WASM_FMA;
  try {
    delete process.env.MODEL_LAB_WASM_FMA;
    assert.equal(path.basename(gemm64Path() ?? ''), GEMM64_FMA_FILE, BUILT);
    process.env.MODEL_LAB_WASM_FMA = '0';
    assert.equal(path.basename(gemm64Path() ?? ''), GEMM64_FILE, BUILT);
  } finally {
    if (saved === undefined) delete process.env.MODEL_LAB_WASM_FMA;
    else process.env.MODEL_LAB_WASM_FMA = saved;
  }
});

test('without the module: no wasm kernel, and MODEL_LAB_GEMM=js gives the same distances', () => {
  assert.equal(createFloat64Gemm({ file: path.join(__dirname, 'no-such.wasm') }), undefined);
  assert.ok(gemm64Path(), BUILT);
  // A fresh process (the kernel choice is made once per process), DARD on a dense 40-state MDP.
  const script = `
    const { denseProductKernel } = require('./src/core/reward/denseProduct');
    const { createGaussian, randomMdp } = require('./src/core/reward/randomMdp');
    const { pairwiseDistances } = require('./src/core/reward/starc');
    const { createRng } = require('./src/core/util/random');
    const gauss = createGaussian(createRng(4));
    const mdp = randomMdp(gauss, { states: 40, actions: 3, discount: 0.9 });
    const rewards = [0, 1, 2].map(() => Float64Array.from({ length: 40 * 3 * 40 }, gauss));
    const { matrix } = pairwiseDistances(mdp, rewards, { canon: 'dard', norm: '2', metric: '2' });
    console.log(JSON.stringify({ kernel: denseProductKernel().kernel, matrix }));`;
  const root = path.resolve(__dirname, '../../..');
  const run = (env: Record<string, string>) => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout) as { kernel: string; matrix: number[][] };
  };
  const js = run({ MODEL_LAB_GEMM: 'js' });
  const wasm = run({ MODEL_LAB_GEMM: '' });
  const plainWasm = run({ MODEL_LAB_GEMM: '', MODEL_LAB_WASM_FMA: '0' });
  assert.equal(js.kernel, 'js');
  assert.equal(wasm.kernel, 'wasm');
  assert.equal(plainWasm.kernel, 'wasm');
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(js.matrix[i][j] - wasm.matrix[i][j]) < 1e-12, `(${i}, ${j})`);
      assert.ok(Math.abs(js.matrix[i][j] - plainWasm.matrix[i][j]) < 1e-12, `plain build (${i}, ${j})`);
    }
  }
  assert.ok(js.matrix[0][1] > 0.1);
});
