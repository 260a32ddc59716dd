import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { acceptsRelaxedSimd } from '../../util/relaxedSimd';

/**
 * This project's SIMD kernels (`assembly/kernels.ts`, compiled by the build to
 * `dist/simdKernels.wasm` and, with fused multiply-adds, `dist/simdKernelsFma.wasm`: see
 * `chooseSimdKernels`), instantiated on the wasm backend's own memory so that they read and
 * write tensors in place: every pointer argument is a tensor's heap offset.
 */
export interface SimdKernels {
  maxPoolGrad(
    x: number, dy: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
    strideH: number, strideW: number, filterH: number, filterW: number, dilationH: number, dilationW: number,
    padTop: number, padLeft: number,
  ): void;
  /** y: the forward output (each window's maximum). */
  maxPoolGradTiled(
    x: number, dy: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, filterH: number, filterW: number, y: number,
  ): void;
  maxPoolTiled(x: number, y: number, batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, filterH: number, filterW: number): void;
  col2im(
    cols: number, dx: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
    strideH: number, strideW: number, filterH: number, filterW: number, padTop: number, padLeft: number,
  ): void;
  im2col(
    x: number, cols: number,
    batch: number, inH: number, inW: number, channels: number, outH: number, outW: number,
    strideH: number, strideW: number, filterH: number, filterW: number, padTop: number, padLeft: number,
  ): void;
  /** C = op(A) op(B), see assembly/matMul.ts; A's element (i, p) at a + i * aRow + p * aK bytes. */
  matMul(m: number, n: number, k: number, a: number, aRow: number, aK: number, b: number, bTransposed: number, c: number, scratch: number): void;
  /**
   * Rows i0..i1, columns j0..j1 of `matMul`'s C, exactly as `matMul` computes them (scratch:
   * `matMulScratch(j1 - j0, k)`), then + bias (n floats; 0: none) and ReLU (relu != 0) as each tile is stored.
   */
  matMulBlock(
    m: number, n: number, k: number, a: number, aRow: number, aK: number, b: number, bTransposed: number, c: number, scratch: number,
    i0: number, i1: number, j0: number, j1: number, bias: number, relu: number, ldb?: number, ldc?: number,
  ): void;
  /** Floats of scratch `matMul` needs for an n-column product over k. */
  matMulScratch(n: number, k: number): number;
  sumRows(x: number, rows: number, cols: number, scratch: number, out: number, scale: number): void;
  reluGrad(dy: number, x: number, dx: number, n: number): void;
  /** Columns c0..c1: dz = y > 0 ? dy : 0 when relu (else dz untouched), db = column sums of dz (acc: cols float64). */
  biasActivationGrad(dy: number, y: number, dz: number, rows: number, cols: number, c0: number, c1: number, acc: number, db: number, relu: number): void;
  /** Rows r0..r1, every column: dz as `biasActivationGrad`, the column sums of those rows into acc (cols float64, overwritten). */
  biasActivationGradRows(dy: number, y: number, dz: number, r0: number, r1: number, cols: number, acc: number, relu: number): void;
  /** db[c] = sum of acc[b][c] over blocks b in order (float64), rounded once. */
  sumBlocks(acc: number, blocks: number, cols: number, db: number): void;
  /**
   * Winograd F(4x4, 3x3) transforms (assembly/winograd.ts), images n0..n1; V, dV, M, dM are
   * [36][tiles][C]; scratch: WINOGRAD_SCRATCH_BYTES of the calling thread's own.
   */
  winogradInput(x: number, v: number, n0: number, n1: number, H: number, W: number, C: number, tilesH: number, tilesW: number, padTop: number, padLeft: number, tiles: number, scratch: number): void;
  winogradInputGrad(dv: number, dx: number, n0: number, n1: number, H: number, W: number, C: number, tilesH: number, tilesW: number, padTop: number, padLeft: number, tiles: number, scratch: number): void;
  winogradOutput(m: number, y: number, n0: number, n1: number, outH: number, outW: number, C: number, tilesH: number, tilesW: number, tiles: number, bias: number, relu: number, scratch: number): void;
  /** winogradOutput, then 2x2/2 max pooling into y [batch, ph, pw, C] with a code byte per value (as convPool). */
  winogradOutputPool(m: number, y: number, code: number, n0: number, n1: number, C: number, tilesH: number, tilesW: number, ph: number, pw: number, bias: number, relu: number, scratch: number): void;
  /** winogradOutputGrad from the pooled dy and codes; image n's bias gradient into acc + n * C floats. */
  winogradOutputGradPool(dy: number, code: number, dm: number, acc: number, n0: number, n1: number, C: number, tilesH: number, tilesW: number, ph: number, pw: number, scratch: number): void;
  winogradOutputGrad(dy: number, dm: number, n0: number, n1: number, outH: number, outW: number, C: number, tilesH: number, tilesW: number, tiles: number, scratch: number): void;
  /** The fused conv + 2x2 max-pool layer (assembly/convPool.ts), images n0..n1; code: one byte per pooled value. */
  convPool(
    x: number, f: number, bias: number, y: number, code: number, n0: number, n1: number,
    H: number, W: number, inC: number, fh: number, fw: number, outC: number, ph: number, pw: number, padTop: number, padLeft: number,
    Hp: number, Wp: number, relu: number, scratch: number,
  ): void;
  convPoolGrad(
    x: number, dy: number, code: number, acc: number, n0: number, n1: number,
    H: number, W: number, inC: number, fh: number, fw: number, outC: number, ph: number, pw: number, padTop: number, padLeft: number,
    Hp: number, Wp: number, scratch: number,
  ): void;
  convPoolGradSum(acc: number, batch: number, taps: number, outC: number, df: number, db: number): void;
  convPoolExpand(dy: number, code: number, dz: number, n0: number, n1: number, convH: number, convW: number, outC: number, ph: number, pw: number): void;
  adam(
    w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    lr: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, epsilon: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number,
  ): void;
}

export const SIMD_KERNELS_FILE = 'simdKernels.wasm';
/**
 * tfjs's SIMD backend binary with its memory declared shared (scripts/build.mjs): the kernels
 * import a shared memory, so helper threads run them on the backend's tensors in place.
 */
export const SHARED_BACKEND_FILE = 'tfjs-backend-wasm-simd-shared.wasm';
/** The same kernels built with relaxed SIMD: the matrix product uses fused multiply-adds. */
export const SIMD_KERNELS_FMA_FILE = 'simdKernelsFma.wasm';

/**
 * Where a compiled module is: next to the bundle (dist/), or, running from sources (tests,
 * tsx), in the repository's dist/ after `npm run build`. Undefined when it was not built.
 */
export function simdKernelsPath(file = SIMD_KERNELS_FILE): string | undefined {
  const candidates = [path.join(__dirname, file), path.resolve(__dirname, '../../../../dist', file)];
  return candidates.find((f) => existsSync(f));
}

/**
 * The module to run: the fused multiply-add build where the runtime accepts relaxed SIMD (see
 * `acceptsRelaxedSimd`), else the plain build. FMA rounds once where multiply-then-add rounds
 * twice, so products differ from the plain build's in the last bits (both are tested against the
 * cpu backend).
 */
export function chooseSimdKernels(): { file: string; fma: boolean } | undefined {
  const fma = simdKernelsPath(SIMD_KERNELS_FMA_FILE);
  if (fma && acceptsRelaxedSimd(readFileSync(fma))) return { file: fma, fma: true };
  const plain = simdKernelsPath();
  return plain ? { file: plain, fma: false } : undefined;
}

/** Instance per backend, kept on the backend object (no module state; `Symbol.for`: bundle + tests agree). */
const INSTANCE = Symbol.for('model-lab.wasm.simdKernels');

/** The kernels on a backend's memory, and what helper threads need to run them there too. */
export interface BoundSimdKernels {
  kernels: SimdKernels;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

type WithKernels = BackendWasm & { [INSTANCE]?: BoundSimdKernels };

/** The kernels bound to `backend`'s memory; throws if the module was not built. */
export function simdKernels(backend: BackendWasm): SimdKernels {
  return boundSimdKernels(backend).kernels;
}

export function boundSimdKernels(backend: BackendWasm): BoundSimdKernels {
  const holder = backend as WithKernels;
  const existing = holder[INSTANCE];
  if (existing) return existing;
  const chosen = chooseSimdKernels();
  if (!chosen) throw new Error(`${SIMD_KERNELS_FILE} not found: run npm run build`);
  const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
  if (!(memory.buffer instanceof SharedArrayBuffer)) {
    throw new Error(`the wasm backend's memory is not shared: it must be initialised from ${SHARED_BACKEND_FILE} (initBackend), built with ${SIMD_KERNELS_FILE}`);
  }
  const module = new WebAssembly.Module(readFileSync(chosen.file));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const bound = { kernels: instance.exports as unknown as SimdKernels, module, memory };
  holder[INSTANCE] = bound;
  return bound;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: BackendWasm, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}
