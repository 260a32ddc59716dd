import { availableParallelism } from 'node:os';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmThreads } from '../../util/wasmThreads';
import { withScratch } from './kernelCall';
import { boundSimdKernels } from './simdKernels';

/**
 * This project's training kernels on several threads: the wasm backend's memory is shared (its
 * binary is built so, see simdKernels.ts), so helper threads (util/wasmThreads.ts, one pool per
 * backend for all kernels) run the SIMD kernels on the tensors in place, nothing copied. Split:
 * - the float32 matrix product behind MatMul, the dense layers forward and backward, and the
 *   convolutions and their gradients (im2col + product): blocks of whole output rows or whole
 *   output columns, never along the sum. `matMulBlock` sums every element of C the same way
 *   whatever block it is in (same depth slices in the same order, each summed in order). Along
 *   columns when op(A) is the smaller operand (each block packs op(A) again), else along rows;
 *   The Winograd layer's 36 products: whole products, or (forward) the rows of a few images'
 *   tiles in every product, then those images' output transform;
 * - im2col, col2im, max pooling and its gradients, the Winograd transforms: blocks of whole
 *   images (each image's output depends on that image only);
 * - the Adam step and the ReLU gradient: blocks of elements; the bias/ReLU gradient: blocks of
 *   whole columns, or for narrow layers fixed blocks of rows (the same blocks for any thread
 *   count, their float64 sums added in order).
 * So results are bit-identical whatever the thread count. More blocks than threads, so a thread
 * slowed by another process (or woken late) leaves its share to the others: twice as many for
 * products split by rows or columns (each block packs an operand again), `ITEMS_PER_THREAD` for
 * the rest, where a block costs one call into the module. Small calls stay on the calling
 * thread: waking helpers costs more than they save there.
 */

/**
 * Multiply-adds from which a product is shared. Placed by CPU time, not wall time (the machine it
 * was measured on ran at load average 14 on 2 cores, where every wall time measures the wait for
 * a core): `scripts/bench/matMulThreads.ts` shows a shared product costs 10-15 µs more CPU than
 * the same product on one thread (waking the helper, packing op(B) again per block; 2026-12-07),
 * and an idle machine adds the helper's wake-up latency (tens of µs) to the wall time. Sharing
 * pays once half the product saves more than that: 2^20 multiply-adds are ~35 µs of one core
 * (the FMA kernel, ~30 G multiply-adds/s), the break-even. Every product of the reference MLP and
 * CNN at batch 128 but the output layer's is far above it.
 */
export const PARALLEL_MIN = 1 << 20;
/** Must match assembly/matMul.ts's register tile. */
const MR = 4;
const NR = 8;

/**
 * Blocks per thread of the calls whose blocks cost nothing extra (images, elements, whole products):
 * a call ends when its last block does, so with 2 blocks per thread a helper that starts 100 µs late
 * or runs slower leaves the caller waiting up to a quarter of the call; with 8, a sixteenth.
 */
const ITEMS_PER_THREAD = 8;

/** Overrides the thread count (tests, benchmarks); the runner's setting goes through `setKernelThreads`. */
export const THREADS_ENV_VAR = 'MODEL_LAB_THREADS';

let configured: number | undefined;

/** Threads for the training kernels, the caller included: `setKernelThreads`, else MODEL_LAB_THREADS, else every core. */
export function kernelThreads(): number {
  if (configured !== undefined) return configured;
  const fromEnv = Number(process.env[THREADS_ENV_VAR]);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

/** Sets the thread count for the training kernels of this process (undefined: back to the default). */
export function setKernelThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`threads must be a positive integer; got ${threads}`);
  configured = threads;
}

/** Kernels a work item can run (argument 0 of a call). */
const enum Op {
  MatMul,
  Im2col,
  Col2im,
  MaxPoolGrad,
  MaxPoolGradTiled,
  MaxPoolTiled,
  Adam,
  ReluGrad,
  BiasActivationGrad,
  BiasActivationGradRows,
  MatMulBatch,
  WinogradForward,
  WinogradInput,
  WinogradInputGrad,
  WinogradOutputGrad,
  ConvPool,
  ConvPoolGrad,
  ConvPoolExpand,
  WinogradOutputGradPool,
  WinogradOutput,
}

/**
 * One work item: arguments 0-2 are the kernel (`Op`), the number of units (images, elements;
 * rows or columns of a product) and units per item; the kernel's own arguments follow, pointers
 * at unit 0. Float arguments travel as their float32 bits.
 */
const ITEM_SOURCE = `function kernelItem(x, g, index, thread) {
  const u0 = index * g[2], nu = Math.min(g[2], g[1] - u0);
  switch (g[0]) {
    case ${Op.MatMul}: {
      const m = g[3], n = g[4];
      const scratch = g[12] + thread * g[13];
      if (g[14]) x.matMulBlock(m, n, g[5], g[6], g[7], g[8], g[9], g[10], g[11], scratch, u0, u0 + nu, 0, n, g[15], g[16]);
      else x.matMulBlock(m, n, g[5], g[6], g[7], g[8], g[9], g[10], g[11], scratch, 0, m, u0, u0 + nu, g[15], g[16]);
      return;
    }
    case ${Op.Im2col}:
    case ${Op.Col2im}: {
      // (x or dx, cols) of images u0..: inH, inW, C, outH, outW, strides, filter, padding.
      const image = g[5] * g[6] * g[7] * 4, patches = g[8] * g[9] * g[12] * g[13] * g[7] * 4;
      if (g[0] === ${Op.Im2col}) x.im2col(g[3] + u0 * image, g[4] + u0 * patches, nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
      else x.col2im(g[4] + u0 * patches, g[3] + u0 * image, nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
      return;
    }
    case ${Op.MaxPoolGrad}:
    case ${Op.MaxPoolGradTiled}: {
      // x, dy, dx of images u0..: inH, inW, C, outH, outW, then the kernel's window arguments.
      const image = g[6] * g[7] * g[8] * 4, out = g[9] * g[10] * g[8] * 4;
      const [xp, dyp, dxp] = [g[3] + u0 * image, g[4] + u0 * out, g[5] + u0 * image];
      if (g[0] === ${Op.MaxPoolGradTiled}) x.maxPoolGradTiled(xp, dyp, dxp, nu, g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13] + u0 * out);
      else x.maxPoolGrad(xp, dyp, dxp, nu, g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16], g[17], g[18]);
      return;
    }
    case ${Op.MaxPoolTiled}: {
      // x, y of images u0..: inH, inW, C, outH, outW, fh, fw.
      const image = g[5] * g[6] * g[7] * 4, out = g[8] * g[9] * g[7] * 4;
      x.maxPoolTiled(g[3] + u0 * image, g[4] + u0 * out, nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11]);
      return;
    }
    case ${Op.Adam}: {
      const f = new Float32Array(g.buffer, g.byteOffset + 40, 8);
      const o = u0 * 4;
      x.adam(g[3] + o, g[4] + o, g[5] + o, g[6] + o, g[7] + o, g[8] + o, g[9] + o, nu, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
      return;
    }
    case ${Op.ReluGrad}: {
      const o = u0 * 4;
      x.reluGrad(g[3] + o, g[4] + o, g[5] + o, nu);
      return;
    }
    case ${Op.BiasActivationGrad}:
      // dy, y, dz, rows, acc, db, relu; units are columns.
      x.biasActivationGrad(g[3], g[4], g[5], g[6], g[1], u0, u0 + nu, g[7], g[8], g[9]);
      return;
    case ${Op.BiasActivationGradRows}: {
      // dy, y, dz, rows, cols, acc (blocks x cols f64), relu, rows per block; units are blocks of rows.
      const [dy, y, dz, rows, cols, acc, relu, per] = g.subarray(3, 11);
      for (let b = u0; b < u0 + nu; b++) x.biasActivationGradRows(dy, y, dz, b * per, Math.min(rows, (b + 1) * per), cols, acc + b * cols * 8, relu);
      return;
    }
    case ${Op.MatMulBatch}: {
      // Whole products u0..
      const [m, n, k, a, aStride, aRow, aK, b, bStride, bTransposed, ldb, c, cStride, ldc, s0, stride] = g.subarray(3, 19);
      const scratch = s0 + thread * stride;
      for (let u = u0; u < u0 + nu; u++) {
        x.matMulBlock(m, n, k, a + u * aStride, aRow, aK, b + u * bStride, bTransposed, c + u * cStride, scratch, 0, m, 0, n, 0, 0, ldb, ldc);
      }
      return;
    }
    case ${Op.WinogradForward}: {
      // Images u0..: V, U, M, y, inC, outC, outH, outW, tilesH, tilesW, tiles, bias, relu, scratch, scratch per thread
      // (the product's, then 1024 bytes for the transform): the 36 products' rows of these images' tiles, then their output transform.
      // With code != 0, the output transform max-pools 2x2 into y [batch, ph, pw, outC] and writes the code bytes.
      const [v, u, m, y, inC, outC, outH, outW, tilesH, tilesW, tiles, bias, relu, s0, stride, code, ph, pw] = g.subarray(3, 21);
      const scratch = s0 + thread * stride;
      const t0 = u0 * tilesH * tilesW, t1 = (u0 + nu) * tilesH * tilesW;
      for (let xi = 0; xi < 36; xi++) {
        x.matMulBlock(tiles, outC, inC, v + xi * inC * 4, 36 * inC * 4, 4, u + xi * inC * outC * 4, 0, m + xi * outC * 4, scratch, t0, t1, 0, outC, 0, 0, 0, 36 * outC * 4);
      }
      if (code) x.winogradOutputPool(m, y, code, u0, u0 + nu, outC, tilesH, tilesW, ph, pw, bias, relu, scratch + stride - 1024);
      else x.winogradOutput(m, y, u0, u0 + nu, outH, outW, outC, tilesH, tilesW, tiles, bias, relu, scratch + stride - 1024);
      return;
    }
    case ${Op.WinogradInput}:
    case ${Op.WinogradInputGrad}: {
      // x or dx, V or dV, H, W, C, tilesH, tilesW, padTop, padLeft, tiles, scratch, scratch per thread; units are images.
      const scratch = g[13] + thread * g[14];
      if (g[0] === ${Op.WinogradInput}) x.winogradInput(g[3], g[4], u0, u0 + nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], scratch);
      else x.winogradInputGrad(g[4], g[3], u0, u0 + nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], scratch);
      return;
    }
    case ${Op.WinogradOutputGrad}:
      // dy, dM, outH, outW, C, tilesH, tilesW, tiles, scratch, scratch per thread.
      x.winogradOutputGrad(g[3], g[4], u0, u0 + nu, g[5], g[6], g[7], g[8], g[9], g[10], g[11] + thread * g[12]);
      return;
    case ${Op.WinogradOutputGradPool}:
      // dy (pooled), code, dM, acc, C, tilesH, tilesW, ph, pw, scratch, scratch per thread.
      x.winogradOutputGradPool(g[3], g[4], g[5], g[6], u0, u0 + nu, g[7], g[8], g[9], g[10], g[11], g[12] + thread * g[13]);
      return;
    case ${Op.WinogradOutput}: {
      // Images first + u0..: M, y, outC, outH, outW, tilesH, tilesW, tiles, bias, relu, code, ph, pw, first, scratch, scratch per
      // thread (the output transform alone, after the 36 products ran elsewhere: the native product).
      const [m, y, outC, outH, outW, tilesH, tilesW, tiles, bias, relu, code, ph, pw, first, s0, stride] = g.subarray(3, 19);
      const scratch = s0 + thread * stride;
      if (code) x.winogradOutputPool(m, y, code, first + u0, first + u0 + nu, outC, tilesH, tilesW, ph, pw, bias, relu, scratch);
      else x.winogradOutput(m, y, first + u0, first + u0 + nu, outH, outW, outC, tilesH, tilesW, tiles, bias, relu, scratch);
      return;
    }
    case ${Op.ConvPool}: {
      // Images u0..: x, filter, bias, y, code, then the geometry (convPoolArgs), relu, scratch, scratch per thread.
      const [xp, f, bias, y, code, H, W, inC, fh, fw, outC, ph, pw, pt, pl, Hp, Wp, relu, s0, stride] = g.subarray(3, 23);
      x.convPool(xp, f, bias, y, code, u0, u0 + nu, H, W, inC, fh, fw, outC, ph, pw, pt, pl, Hp, Wp, relu, s0 + thread * stride);
      return;
    }
    case ${Op.ConvPoolGrad}: {
      // Images u0..: x, dy, code, acc, the geometry, scratch, scratch per thread.
      const [xp, dy, code, acc, H, W, inC, fh, fw, outC, ph, pw, pt, pl, Hp, Wp, s0, stride] = g.subarray(3, 21);
      x.convPoolGrad(xp, dy, code, acc, u0, u0 + nu, H, W, inC, fh, fw, outC, ph, pw, pt, pl, Hp, Wp, s0 + thread * stride);
      return;
    }
    case ${Op.ConvPoolExpand}:
      // Images u0..: dy, code, dz, convH, convW, outC, ph, pw.
      x.convPoolExpand(g[3], g[4], g[5], u0, u0 + nu, g[6], g[7], g[8], g[9], g[10]);
      return;
  }
  throw new Error('unknown kernel ' + g[0]);
}`;

/** Helper threads per backend (and thread count), kept on the backend object like the kernels. */
const POOL = Symbol.for('model-lab.wasm.threads');
type WithPool = BackendWasm & { [POOL]?: WasmThreads };

function pool(backend: BackendWasm, threads: number): WasmThreads {
  const holder = backend as WithPool;
  const existing = holder[POOL];
  if (existing && existing.threads === threads) return existing;
  void existing?.close();
  const { module, memory } = boundSimdKernels(backend);
  const created = new WasmThreads({ name: 'training matrix product', module, memory, itemSource: ITEM_SOURCE, threads });
  holder[POOL] = created;
  return created;
}

/** The helper threads' statistics for `backend` (tests: shows they took part). */
export function matMulHelperItems(backend: BackendWasm): number {
  return (backend as WithPool)[POOL]?.helperItems ?? 0;
}

/**
 * C (m x n, at heap offset c) = op(A) op(B), as `SimdKernels.matMul` with the same arguments,
 * on `kernelThreads()` threads when the product has at least `minimum` (`PARALLEL_MIN`) multiply-adds.
 * `bias` (heap offset of n floats; 0: none) and `relu`: the epilogue `matMulBlock` applies to
 * each tile as it stores it, i.e. relu(C + bias) without a pass of its own.
 */
export function matMulThreaded(
  backend: BackendWasm,
  m: number, n: number, k: number, a: number, aRow: number, aK: number, b: number, bTransposed: number, c: number,
  { minimum = PARALLEL_MIN, bias = 0, relu = false }: { minimum?: number; bias?: number; relu?: boolean } = {},
): void {
  const { kernels } = boundSimdKernels(backend);
  const threads = kernelThreads();
  const columns = m < n;
  const tiles = columns ? Math.ceil(n / NR) : Math.ceil(m / MR);
  const items = Math.min(tiles, 2 * threads);
  if (threads === 1 || items < 2 || m * n * k < minimum) {
    withScratch(backend, kernels.matMulScratch(n, k), (s) => kernels.matMulBlock(m, n, k, a, aRow, aK, b, bTransposed, c, s, 0, m, 0, n, bias, relu ? 1 : 0));
    return;
  }
  const chunk = columns ? Math.ceil(n / NR / items) * NR : Math.ceil(m / MR / items) * MR;
  const units = columns ? n : m;
  const stride = scratchBytes(kernels.matMulScratch(columns ? chunk : n, k));
  withScratch(backend, (stride / 4) * threads, (s) =>
    pool(backend, threads).run([Op.MatMul, units, chunk, m, n, k, a, aRow, aK, b, bTransposed, c, s, stride, columns ? 0 : 1, bias, relu ? 1 : 0], Math.ceil(units / chunk)));
}

/** `floats` rounded up to whole 16-byte units, so that a scratch region after it starts aligned. */
export function alignedFloats(floats: number): number {
  return Math.ceil(floats / 4) * 4;
}

/** Bytes of one thread's scratch area for a kernel needing `floats` of it: 16-byte aligned. */
function scratchBytes(floats: number): number {
  return alignedFloats(floats) * 4;
}

/** One product of a batch: op(A) m x k (element (i, p) at a + i * aRow + p * aK bytes), B and C rows ldb, ldc bytes apart (0: dense). */
export interface StridedProduct {
  m: number; n: number; k: number;
  a: number; aRow: number; aK: number;
  b: number; bTransposed: boolean; ldb: number;
  c: number; ldc: number;
}

/**
 * `count` products C_u = op(A_u) op(B_u), product u's operands and result `aStride`, `bStride`,
 * `cStride` bytes after product 0's (`p`): whole products shared between threads, each computed
 * exactly as `matMul` computes it on one thread. For batches of many middle-sized products (the
 * 36 Winograd products): one dispatch instead of one per product.
 */
export function matMulBatchThreaded(backend: BackendWasm, count: number, p: StridedProduct, aStride: number, bStride: number, cStride: number): void {
  const { kernels } = boundSimdKernels(backend);
  const threads = kernelThreads();
  const stride = scratchBytes(kernels.matMulScratch(p.n, p.k));
  const items = Math.min(count, ITEMS_PER_THREAD * threads);
  const parallel = threads > 1 && items > 1 && count * p.m * p.n * p.k >= PARALLEL_MIN;
  const chunk = parallel ? Math.ceil(count / items) : Math.max(count, 1);
  withScratch(backend, (stride / 4) * threads, (s) =>
    pool(backend, threads).run([Op.MatMulBatch, count, chunk, p.m, p.n, p.k, p.a, aStride, p.aRow, p.aK, p.b, bStride, p.bTransposed ? 1 : 0, p.ldb,
      p.c, cStride, p.ldc, s, stride], Math.ceil(count / chunk), parallel));
}

/**
 * Floats a call must touch before its images, columns or elements are shared. Same reasoning as
 * `PARALLEL_MIN`: these kernels stream memory at ~20 GB/s, so 2^17 floats (512 KB) take ~25 µs of
 * one core, and sharing them saves about the 10-15 µs it costs; below that a call stays on the
 * calling thread (e.g. the Adam step of a bias, the ReLU gradient of a small layer).
 */
export const SPLIT_MIN_FLOATS = 1 << 17;

/**
 * Runs kernel `op` over `units` independent units in blocks (of a multiple of `align` units),
 * shared when `floats` (what the call touches) is large enough.
 */
function split(backend: BackendWasm, op: Op, units: number, floats: number, args: number[], align = 1): void {
  const threads = kernelThreads();
  const items = Math.min(Math.ceil(units / align), ITEMS_PER_THREAD * threads);
  const parallel = threads > 1 && items > 1 && floats >= SPLIT_MIN_FLOATS;
  const chunk = parallel ? Math.ceil(units / items / align) * align : Math.max(units, 1);
  pool(backend, threads).run([op, units, chunk, ...args], Math.ceil(units / chunk), parallel);
}

/** Shape arguments of im2col/col2im: input NHWC [batch, inH, inW, C], output [batch, outH, outW], window. */
export interface PatchGeometry {
  batch: number; inH: number; inW: number; C: number; outH: number; outW: number;
  strideH: number; strideW: number; fh: number; fw: number; padTop: number; padLeft: number;
}

const patchArgs = (g: PatchGeometry) => [g.inH, g.inW, g.C, g.outH, g.outW, g.strideH, g.strideW, g.fh, g.fw, g.padTop, g.padLeft];

/** `SimdKernels.im2col` (x -> cols), images shared between threads. */
export function im2colThreaded(backend: BackendWasm, x: number, cols: number, g: PatchGeometry): void {
  split(backend, Op.Im2col, g.batch, g.batch * g.outH * g.outW * g.fh * g.fw * g.C, [x, cols, ...patchArgs(g)]);
}

/** `SimdKernels.col2im` (cols -> dx), images shared between threads. */
export function col2imThreaded(backend: BackendWasm, cols: number, dx: number, g: PatchGeometry): void {
  split(backend, Op.Col2im, g.batch, g.batch * g.outH * g.outW * g.fh * g.fw * g.C, [dx, cols, ...patchArgs(g)]);
}

/**
 * `SimdKernels.maxPoolGrad` / `maxPoolGradTiled` (window: fh, fw and the forward output y for the
 * tiled kernel; strides, filter, dilations and padding for the other), images shared between threads.
 */
export function maxPoolGradThreaded(
  backend: BackendWasm, tiled: boolean, x: number, dy: number, dx: number,
  batch: number, inH: number, inW: number, C: number, outH: number, outW: number, window: number[],
): void {
  split(backend, tiled ? Op.MaxPoolGradTiled : Op.MaxPoolGrad, batch, batch * inH * inW * C, [x, dy, dx, inH, inW, C, outH, outW, ...window]);
}

/** `SimdKernels.maxPoolTiled` (x -> y, windows fh x fw tiling the input), images shared between threads. */
export function maxPoolThreaded(
  backend: BackendWasm, x: number, y: number, batch: number, inH: number, inW: number, C: number, outH: number, outW: number, fh: number, fw: number,
): void {
  split(backend, Op.MaxPoolTiled, batch, batch * outH * fh * outW * fw * C, [x, y, inH, inW, C, outH, outW, fh, fw]);
}

/** `SimdKernels.adam` over n elements (float arguments as in the kernel), elements shared between threads. */
export function adamThreaded(backend: BackendWasm, pointers: number[], n: number, floats: number[]): void {
  const bits = new Uint32Array(new Float32Array(floats).buffer);
  // Blocks of whole vectors: the same elements take the kernel's scalar tail as on one thread.
  split(backend, Op.Adam, n, n * 7, [...pointers, ...bits], 4);
}

/** `SimdKernels.reluGrad` over n elements, elements shared between threads. */
export function reluGradThreaded(backend: BackendWasm, dy: number, x: number, dx: number, n: number): void {
  split(backend, Op.ReluGrad, n, n * 3, [dy, x, dx], 4);
}

/**
 * `SimdKernels.biasActivationGrad` over every column of dy [rows, cols] (dz: ReLU's gradient when
 * `relu`, db: the bias gradient; acc: cols float64 of scratch), columns shared between threads;
 * layers of fewer than 256 columns and at least SPLIT_MIN_FLOATS values share blocks of rows
 * (`biasActivationGradRows`, `sumBlocks`: db sums the blocks' float64 sums, so it can differ from
 * one sum over all rows in the last bit; the same for every thread count). `nativeBiasActivationGrad`
 * is the same arithmetic and blocks on the native module's threads.
 */
export function biasActivationGradThreaded(
  backend: BackendWasm, dy: number, y: number, dz: number, rows: number, cols: number, acc: number, db: number, relu: boolean,
): void {
  // Blocks of 64 columns, and only for rows of 256 columns or more: threads on narrower blocks of
  // the same rows share cache lines (both read each line, their writes to dz contend). Measured
  // (CPU time, 2 threads against 1): 5x on [86528, 32] in blocks of 8 columns, 2.4x on
  // [15488, 64] in blocks of 16; those layers share blocks of rows instead.
  const floats = rows * cols * (relu ? 3 : 1);
  if (biasGradBlockRows(rows, cols) > 0) {
    // Narrower layers share fixed blocks of rows instead (a block's column sums, then the blocks'
    // sums in order): the same blocks whatever the thread count.
    const blocks = Math.ceil(rows / BIAS_GRAD_BLOCK_ROWS);
    withScratch(backend, blocks * cols * 2, (at) => {
      split(backend, Op.BiasActivationGradRows, blocks, floats, [dy, y, dz, rows, cols, at, relu ? 1 : 0, BIAS_GRAD_BLOCK_ROWS]);
      boundSimdKernels(backend).kernels.sumBlocks(at, blocks, cols, db);
    });
    return;
  }
  split(backend, Op.BiasActivationGrad, cols, cols >= 256 ? floats : 0, [dy, y, dz, rows, acc, db, relu ? 1 : 0], 64);
}

/** Rows per block of a narrow layer's bias/ReLU gradient (fixed: the blocks must not depend on the thread count). */
const BIAS_GRAD_BLOCK_ROWS = 1024;

/** Rows per block where a layer's bias/ReLU gradient is summed in blocks of rows (narrow and large), else 0 (whole columns). */
export const biasGradBlockRows = (rows: number, cols: number) => (cols < 256 && rows * cols >= SPLIT_MIN_FLOATS ? BIAS_GRAD_BLOCK_ROWS : 0);

/**
 * Shape arguments of the Winograd F(4x4, 3x3) transforms: input [batch, H, W, inC], output
 * [batch, outH, outW, outC], tiles of 4x4 outputs, tilesH x tilesW per image.
 */
export interface WinogradGeometry {
  batch: number; H: number; W: number; inC: number; outH: number; outW: number; outC: number;
  tilesH: number; tilesW: number; padTop: number; padLeft: number;
}

/** Scratch bytes a Winograd transform needs per thread (36 + 6 vectors, rounded up). */
const WINOGRAD_SCRATCH_BYTES = 1024;

const tilesOf = (g: WinogradGeometry) => g.batch * g.tilesH * g.tilesW;

/** `split` for a Winograd transform: one scratch area per thread (its base and stride end the arguments). */
function winogradSplit(backend: BackendWasm, op: Op, g: WinogradGeometry, floats: number, args: number[]): void {
  withScratch(backend, (WINOGRAD_SCRATCH_BYTES / 4) * kernelThreads(), (s) => split(backend, op, g.batch, floats, [...args, s, WINOGRAD_SCRATCH_BYTES]));
}

/**
 * Tiles whose transformed values a forward item keeps in cache: V and M rows of ~48 tiles (the
 * reference CNN's second layer: 200 KB + 400 KB, within a core's L2) are produced and consumed
 * before the next item's. Done the other way (each product over every tile, then the output
 * transform) M went out to memory and back: 10.6 MB each way on that layer.
 */
const WINOGRAD_BLOCK_TILES = 48;

/**
 * The Winograd layer's forward pass after the input transform: M[., xi] = V[., xi] U[xi] for the
 * 36 positions, then y = the output transform of M (+ bias, ReLU), in items of a few images (all
 * 36 products' rows of their tiles, then their outputs), shared between threads. Every element
 * is summed as the single-thread product sums it, whatever the items (`matMulBlock`). With
 * `pooled`, the output transform max-pools 2x2 into y and writes the code bytes (`winogradOutputPool`).
 */
export function winogradForwardThreaded(
  backend: BackendWasm, v: number, u: number, m: number, y: number, g: WinogradGeometry, bias: number, relu: boolean,
  pooled?: { code: number; ph: number; pw: number },
): void {
  const { kernels } = boundSimdKernels(backend);
  const threads = kernelThreads();
  const perImage = g.tilesH * g.tilesW;
  const chunk = Math.max(1, Math.round(WINOGRAD_BLOCK_TILES / perImage));
  const items = Math.ceil(g.batch / chunk);
  const stride = scratchBytes(kernels.matMulScratch(g.outC, g.inC)) + WINOGRAD_SCRATCH_BYTES;
  const parallel = threads > 1 && items > 1 && 36 * tilesOf(g) * g.inC * g.outC >= PARALLEL_MIN;
  withScratch(backend, (stride / 4) * threads, (s) =>
    pool(backend, threads).run([Op.WinogradForward, g.batch, chunk, v, u, m, y, g.inC, g.outC, g.outH, g.outW, g.tilesH, g.tilesW, tilesOf(g),
      bias, relu ? 1 : 0, s, stride, pooled?.code ?? 0, pooled?.ph ?? 0, pooled?.pw ?? 0], items, parallel));
}

/**
 * The output transform of `winogradForwardThreaded` alone (M already holds the 36 products: the
 * native product computed them), for images n0..n1, shared between threads.
 */
export function winogradOutputThreaded(
  backend: BackendWasm, m: number, y: number, g: WinogradGeometry, bias: number, relu: boolean, pooled?: { code: number; ph: number; pw: number },
  n0 = 0, n1 = g.batch,
): void {
  const args = [m, y, g.outC, g.outH, g.outW, g.tilesH, g.tilesW, tilesOf(g), bias, relu ? 1 : 0, pooled?.code ?? 0, pooled?.ph ?? 0, pooled?.pw ?? 0, n0];
  withScratch(backend, (WINOGRAD_SCRATCH_BYTES / 4) * kernelThreads(), (s) =>
    split(backend, Op.WinogradOutput, n1 - n0, 36 * (n1 - n0) * g.tilesH * g.tilesW * g.outC, [...args, s, WINOGRAD_SCRATCH_BYTES]));
}

/** `SimdKernels.winogradInput` (x -> V [36][tiles][inC]), images shared between threads. */
export function winogradInputThreaded(backend: BackendWasm, x: number, v: number, g: WinogradGeometry): void {
  winogradSplit(backend, Op.WinogradInput, g, 36 * tilesOf(g) * g.inC, [x, v, g.H, g.W, g.inC, g.tilesH, g.tilesW, g.padTop, g.padLeft, tilesOf(g)]);
}

/** `SimdKernels.winogradInputGrad` (dV -> dx), images shared between threads. */
export function winogradInputGradThreaded(backend: BackendWasm, dv: number, dx: number, g: WinogradGeometry): void {
  winogradSplit(backend, Op.WinogradInputGrad, g, 36 * tilesOf(g) * g.inC, [dx, dv, g.H, g.W, g.inC, g.tilesH, g.tilesW, g.padTop, g.padLeft, tilesOf(g)]);
}

/**
 * `SimdKernels.winogradOutputGradPool` (the pooled dy and codes -> dM), images shared between
 * threads; each image's bias-gradient sums in its own block, added in image order in float64
 * (`convPoolGradSum` with no taps: the same for any thread count).
 */
export function winogradOutputGradPoolThreaded(backend: BackendWasm, dy: number, code: number, dm: number, db: number, g: WinogradGeometry, ph: number, pw: number): void {
  withScratch(backend, g.batch * g.outC, (acc) => {
    winogradSplit(backend, Op.WinogradOutputGradPool, g, 36 * tilesOf(g) * g.outC, [dy, code, dm, acc, g.outC, g.tilesH, g.tilesW, ph, pw]);
    boundSimdKernels(backend).kernels.convPoolGradSum(acc, g.batch, 0, g.outC, db, db);
  });
}

/** `SimdKernels.winogradOutputGrad` (dy -> dM [36][tiles][outC]), images shared between threads. */
export function winogradOutputGradThreaded(backend: BackendWasm, dy: number, dm: number, g: WinogradGeometry): void {
  winogradSplit(backend, Op.WinogradOutputGrad, g, 36 * tilesOf(g) * g.outC, [dy, dm, g.outH, g.outW, g.outC, g.tilesH, g.tilesW, tilesOf(g)]);
}

/**
 * Shape arguments of the fused conv + 2x2 max-pool layer (assembly/convPool.ts): input [batch, H,
 * W, inC], filter [fh, fw, inC, outC], pooled output [batch, ph, pw, outC]; conv output row r reads
 * input row r - padTop; Hp x Wp: the input with its padding.
 */
export interface ConvPoolGeometry {
  batch: number; H: number; W: number; inC: number; fh: number; fw: number; outC: number;
  ph: number; pw: number; padTop: number; padLeft: number; Hp: number; Wp: number;
}

const convPoolArgs = (g: ConvPoolGeometry) => [g.H, g.W, g.inC, g.fh, g.fw, g.outC, g.ph, g.pw, g.padTop, g.padLeft, g.Hp, g.Wp];

/** Bytes of one thread's scratch for the conv + max-pool kernels: the padded image (when padding), then `extraFloats`. */
function convPoolScratchBytes(g: ConvPoolGeometry, extraFloats: number): number {
  const padded = g.Hp === g.H && g.Wp === g.W ? 0 : g.Hp * g.Wp * g.inC;
  return scratchBytes(padded + extraFloats);
}

/** What `split` weighs for these kernels: their vector multiply-adds (4 window positions x taps per pooled vector). */
const convPoolWork = (g: ConvPoolGeometry) => g.batch * g.ph * g.pw * g.outC * g.fh * g.fw * g.inC;

/** `SimdKernels.convPool` (x -> pooled y and its window codes), images shared between threads. */
export function convPoolThreaded(backend: BackendWasm, x: number, filter: number, bias: number, y: number, code: number, g: ConvPoolGeometry, relu: boolean): void {
  const stride = convPoolScratchBytes(g, 0);
  withScratch(backend, Math.max(1, (stride / 4) * kernelThreads()), (s) =>
    split(backend, Op.ConvPool, g.batch, convPoolWork(g), [x, filter, bias, y, code, ...convPoolArgs(g), relu ? 1 : 0, s, stride]));
}

/**
 * The filter and bias gradients of the fused layer (`SimdKernels.convPoolGrad`, then
 * `convPoolGradSum`): each image's sums in its own block, images shared between threads, the
 * blocks added in image order (the same for any thread count).
 */
export function convPoolGradThreaded(backend: BackendWasm, x: number, dy: number, code: number, df: number, db: number, g: ConvPoolGeometry): void {
  const taps = g.fh * g.fw * g.inC;
  const stride = convPoolScratchBytes(g, 2 * g.outC);
  withScratch(backend, g.batch * (taps + 1) * g.outC, (acc) =>
    withScratch(backend, (stride / 4) * kernelThreads(), (s) => {
      split(backend, Op.ConvPoolGrad, g.batch, convPoolWork(g), [x, dy, code, acc, ...convPoolArgs(g), s, stride]);
      boundSimdKernels(backend).kernels.convPoolGradSum(acc, g.batch, taps, g.outC, df, db);
    }));
}

/** `SimdKernels.convPoolExpand` (pooled dy -> the conv output's dz), images shared between threads. */
export function convPoolExpandThreaded(backend: BackendWasm, dy: number, code: number, dz: number, g: ConvPoolGeometry, convH: number, convW: number): void {
  split(backend, Op.ConvPoolExpand, g.batch, g.batch * convH * convW * g.outC, [dy, code, dz, convH, convW, g.outC, g.ph, g.pw]);
}
