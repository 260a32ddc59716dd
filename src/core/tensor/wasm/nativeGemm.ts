import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { boundSimdKernels } from './simdKernels';
import { kernelThreads, type StridedProduct } from './threads';

/**
 * The optional native product for dense and conv layers (`NATIVE_CONV_ENV_VAR` below): OpenBLAS's sgemm (`native/openblasGemm.c`, built
 * by `npm run build` to `dist/openblasGemm.node` on linux-x64) on the wasm backend's tensors in
 * place. wasm SIMD is 128 bits wide; OpenBLAS runs these products with 256-bit AVX2 FMA at about
 * twice our kernel's multiply-adds per CPU-second (docs/performance.md). The module opens the
 * system's OpenBLAS (`libopenblas.so.0`) when it loads; where it was not built, OpenBLAS is
 * missing, or `MODEL_LAB_NATIVE=0`, those layers use the wasm product. Results are bit-identical
 * for any thread count (fixed blocks, one OpenBLAS thread each: see the C file), but not to the
 * wasm product's: the two sum in different orders.
 */
export interface NativeGemm {
  /**
   * C = op(A) op(B) (+ bias, then ReLU), row-major; offsets (`a`, `b`, `c`, `bias`: -1 for none)
   * and leading dimensions in floats of `heap`, a view of the whole wasm memory.
   */
  sgemm(
    heap: Float32Array, transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number, bias: number, relu: number, threads: number,
  ): void;
  /**
   * The Adam step (the wasm kernel `adam`'s arithmetic, bit for bit) on the module's threads;
   * offsets in floats, out may be w, m, v (in place); the floats as `AdamStepAttrs` (1 - beta folded in).
   */
  adam(
    heap: Float32Array, w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    lr: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, epsilon: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number, threads: number,
  ): void;
  /**
   * The Adam step of several variables in place (`variables`: [w, g, m, v, n] per variable, offsets
   * in floats) as one job, each variable's elements `adam`'s bit for bit; the floats as `adam`'s.
   * `behind` 1 (with more than one thread): returns once the helpers have the job, which the caller
   * joins at its next call into the module or at `fence()` (see `behind.ts`).
   */
  adamMany?(
    heap: Float32Array, variables: Float64Array, lr: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number,
    epsilon: number, oneMinusAccBeta1: number, oneMinusAccBeta2: number, threads: number, behind: number,
  ): void;
  /** Joins the job this thread left running behind it (`adamMany`'s `behind`), if any. */
  fence?(): void;
  /**
   * A dense layer's bias/ReLU gradient (the wasm kernels' `biasActivationGrad`, or with blockRows
   * `biasActivationGradRows` + `sumBlocks`, bit for bit) on the module's threads; offsets in floats,
   * dz -1 for a layer without ReLU (y is then not read).
   */
  biasActivationGrad(heap: Float32Array, dy: number, y: number, dz: number, db: number, rows: number, cols: number, blockRows: number, threads: number): void;
  /**
   * With MODEL_LAB_NATIVE_STATS=1 (read when the module loads; else zeros): the calling threads'
   * CPU-ns inside calls of several blocks (shareable) and of one block (serial), for profiles; since
   * round 10 also in `adamMany` calls and from an `adamMany`'s return to the next call into the
   * module (the window in which a job left behind runs on the helpers while the caller goes on).
   */
  callerCpu(): number[];
  /**
   * `count` products C_u = op(A_u) op(B_u), product u's operands and result `stride*` floats after
   * product 0's; each product one block (one single-threaded sgemm) whichever thread runs it.
   */
  sgemmBatch(
    heap: Float32Array, transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, strideA: number, b: number, ldb: number, strideB: number, c: number, ldc: number, strideC: number,
    count: number, threads: number,
  ): void;
  /** Blocks the module's helper threads computed so far (tests: shows they took part). */
  helperBlocks(): number;
  /** The library loaded and the CPU kernels OpenBLAS chose. */
  describe(): string;
}

export const NATIVE_ENV_VAR = 'MODEL_LAB_NATIVE';
export const NATIVE_GEMM_FILE = 'openblasGemm.node';

/**
 * `MODEL_LAB_NATIVE_ELEMENTWISE=0`: Adam and the fused dense step's bias/ReLU gradients stay on
 * the wasm kernels and their pool of threads (the results are the same; for A/B runs).
 */
export const NATIVE_ELEMENTWISE_ENV_VAR = 'MODEL_LAB_NATIVE_ELEMENTWISE';

/** The loaded module, or why not (a load is tried once per process). */
let loaded: { gemm?: NativeGemm; why?: string } | undefined;

/** Next to the bundle (dist/), or, running from sources, the repository's dist/ after `npm run build`. */
function modulePath(): string | undefined {
  return [path.join(__dirname, NATIVE_GEMM_FILE), path.resolve(__dirname, '../../../../dist', NATIVE_GEMM_FILE)].find((f) => existsSync(f));
}

function load(): { gemm?: NativeGemm; why?: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { why: `no native product for ${process.platform}-${process.arch}` };
  const file = modulePath();
  if (!file) return { why: `${NATIVE_GEMM_FILE} was not built` };
  try {
    const module = { exports: {} as NativeGemm };
    process.dlopen(module, file);
    return { gemm: module.exports };
  } catch (e) {
    return { why: (e as Error).message };
  }
}

/** The native product when it loads and `MODEL_LAB_NATIVE` is not `0` (read on every call: tests and A/B runs switch it). */
export function nativeGemm(): NativeGemm | undefined {
  if (process.env[NATIVE_ENV_VAR] === '0') return undefined;
  loaded ??= load();
  return loaded.gemm;
}

/**
 * The native module for the elementwise parts of a training step (Adam, the dense step's bias/ReLU
 * gradients), so that they run on the same threads as the products (one pool: no second pool's
 * helper waking and spinning on the same cores between products); undefined where it is off.
 */
export function nativeElementwise(): NativeGemm | undefined {
  return process.env[NATIVE_ELEMENTWISE_ENV_VAR] === '0' ? undefined : nativeGemm();
}

/** What dense layers multiply with, for logs and benchmarks: the library, or why the wasm product runs. */
export function denseProductEngine(): string {
  if (process.env[NATIVE_ENV_VAR] === '0') return `wasm (${NATIVE_ENV_VAR}=0)`;
  const gemm = nativeGemm();
  return gemm ? `native: ${gemm.describe()}` : `wasm (${loaded?.why})`;
}

/**
 * `MODEL_LAB_NATIVE_CONV=0` keeps the conv layers' products on the wasm product where the native
 * one loaded (`MODEL_LAB_NATIVE=0` turns off both): the Winograd layers' 36 products per pass
 * (winogradConv.ts) and the im2col layers' products (fusedLayers.ts' `CONV_LAYER`), forward, input
 * and filter gradients. Each product (or fixed block of one) is one single-threaded OpenBLAS call
 * whichever thread takes it, so results are identical for any thread count; they differ from the
 * wasm product's in the last bits (another summation order), as the dense layers' do.
 */
export const NATIVE_CONV_ENV_VAR = 'MODEL_LAB_NATIVE_CONV';

/** The native product for conv layers, or undefined (not loaded, or off by `NATIVE_CONV_ENV_VAR` or `NATIVE_ENV_VAR`). */
export function nativeConvGemm(): NativeGemm | undefined {
  if (process.env[NATIVE_CONV_ENV_VAR] === '0') return undefined;
  const gemm = nativeGemm();
  return typeof gemm?.sgemmBatch === 'function' ? gemm : undefined;
}

/** What conv layers' products run on, for logs, provenance and benchmarks: `native`, or `wasm (why)`. */
export function convProductEngine(): string {
  if (process.env[NATIVE_ENV_VAR] === '0') return `wasm (${NATIVE_ENV_VAR}=0)`;
  if (process.env[NATIVE_CONV_ENV_VAR] === '0') return `wasm (${NATIVE_CONV_ENV_VAR}=0)`;
  return nativeConvGemm() ? 'native' : `wasm (${loaded?.why ?? 'no native product'})`;
}

/** A view of the whole wasm memory per buffer: a new one only after the memory grew. */
const HEAP = Symbol.for('model-lab.wasm.nativeHeap');
type WithHeap = BackendWasm & { [HEAP]?: Float32Array };

function heapView(backend: BackendWasm): Float32Array {
  const holder = backend as WithHeap;
  const buffer = boundSimdKernels(backend).memory.buffer;
  if (holder[HEAP]?.buffer !== buffer) holder[HEAP] = new Float32Array(buffer);
  return holder[HEAP]!;
}

/**
 * C (m x n at heap byte offset c) = op(A) op(B) (+ bias, ReLU) with `gemm` on `kernelThreads()`
 * threads; A is m x k (or, transposed, stored k x m), B k x n (or n x k), all dense row-major;
 * byte offsets as `matMulThreaded` takes them, bias 0 for none.
 */
export function nativeMatMul(
  gemm: NativeGemm, backend: BackendWasm, m: number, n: number, k: number, a: number, transA: boolean, b: number, transB: boolean, c: number,
  { bias = 0, relu = false }: { bias?: number; relu?: boolean } = {},
): void {
  gemm.sgemm(heapView(backend), transA ? 1 : 0, transB ? 1 : 0, m, n, k, a / 4, transA ? m : k, b / 4, transB ? k : n, c / 4, n,
    bias ? bias / 4 : -1, relu ? 1 : 0, kernelThreads());
}

/** `NativeGemm.adam` on byte offsets (w, g, m, v, then the outputs), floats as `adamThreaded` takes them. */
export function nativeAdam(gemm: NativeGemm, backend: BackendWasm, pointers: number[], n: number, floats: number[]): void {
  const [w, g, m, v, wOut, mOut, vOut] = pointers.map((p) => p / 4);
  const [lr, beta1, beta2, c1, c2, epsilon, d1, d2] = floats;
  gemm.adam(heapView(backend), w, g, m, v, wOut, mOut, vOut, n, lr, beta1, beta2, c1, c2, epsilon, d1, d2, kernelThreads());
}

/**
 * `NativeGemm.adamMany` on byte offsets: per variable [w, g, m, v] (written in place: w, m, v) and
 * its element count; floats as `adamThreaded` takes them. `behind`: leave the job to the helpers.
 */
export function nativeAdamMany(
  gemm: NativeGemm, backend: BackendWasm, variables: { pointers: number[]; n: number }[], floats: number[], behind: boolean,
): void {
  const list = new Float64Array(5 * variables.length);
  variables.forEach(({ pointers, n }, j) => {
    for (let k = 0; k < 4; k++) list[5 * j + k] = pointers[k] / 4;
    list[5 * j + 4] = n;
  });
  const [lr, beta1, beta2, c1, c2, epsilon, d1, d2] = floats;
  gemm.adamMany!(heapView(backend), list, lr, beta1, beta2, c1, c2, epsilon, d1, d2, kernelThreads(), behind ? 1 : 0);
}

/** `NativeGemm.biasActivationGrad` on byte offsets, as `biasActivationGradThreaded` takes them (dz 0 without ReLU). */
export function nativeBiasActivationGrad(
  gemm: NativeGemm, backend: BackendWasm, dy: number, y: number, dz: number, rows: number, cols: number, db: number, relu: boolean, blockRows: number,
): void {
  gemm.biasActivationGrad(heapView(backend), dy / 4, relu ? y / 4 : 0, relu ? dz / 4 : -1, db / 4, rows, cols, blockRows, kernelThreads());
}

/**
 * `count` strided products on `gemm` (`sgemmBatch`) on `kernelThreads()` threads: product u is
 * C_u = op(A_u) op(B_u) with element (i, p) of op(A_u) at a + u * aStride + i * aRow + p * aK
 * bytes (one of aRow, aK is 4: a row-major matrix or its transpose), B_u at b + u * bStride (rows
 * ldb bytes apart), C_u at c + u * cStride (rows ldc bytes apart); the arguments of
 * `matMulBatchThreaded` (threads.ts), so a caller can take either product.
 */
export function nativeMatMulBatch(
  gemm: NativeGemm, backend: BackendWasm, count: number, p: StridedProduct, aStride: number, bStride: number, cStride: number,
): void {
  const transA = p.aRow === 4 && p.aK !== 4;
  const lda = (transA ? p.aK : p.aRow) / 4;
  const ldb = p.ldb ? p.ldb / 4 : p.bTransposed ? p.k : p.n;
  const ldc = p.ldc ? p.ldc / 4 : p.n;
  gemm.sgemmBatch(heapView(backend), transA ? 1 : 0, p.bTransposed ? 1 : 0, p.m, p.n, p.k, p.a / 4, lda, aStride / 4, p.b / 4, ldb, bStride / 4,
    p.c / 4, ldc, cStride / 4, count, kernelThreads());
}
