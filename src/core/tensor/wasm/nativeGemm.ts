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
