import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { matMulThreaded } from './threads';
import { heapOffset } from './simdKernels';
import { nativeGemm, nativeMatMul } from './nativeGemm';

/**
 * BatchMatMul on this project's SIMD matrix product (`assembly/matMul.ts`) instead of the stock
 * kernel, whose one fast path (a single untransposed float32 product) goes to XNNPACK and whose
 * other paths are plain loops 10-30x slower. Every dense layer's backward pass needs a
 * transposed form, which the SIMD product reads in place, and XNNPACK re-packs its weight
 * operand whenever it is a new tensor, i.e. every training step. A batch runs as one product per
 * matrix on heap offsets, nothing copied, each on the training threads (threads.ts). Two-way batch broadcasts (a [2,1,..] times [1,3,..]
 * batch) and non-float32 operands (which the stock kernel rejects) go to the stock kernel.
 */
export const batchMatMulFix: WasmKernelFix = {
  kernelName: 'BatchMatMul',
  simd: true,
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no BatchMatMul kernel to build on');
    return (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB, [NATIVE_ATTR]: native } = args.attrs as unknown as tf.BatchMatMulAttrs & { [NATIVE_ATTR]?: boolean };
      return simdMatMul(args.backend as BackendWasm, a, b, transposeA, transposeB, { native }) ?? stock.kernelFunc(args);
    };
  },
};

/**
 * BatchMatMul's attribute that asks for the native product (`nativeGemm.ts`) where it loaded: the
 * dense layers' gradient products set it (`denseLayerGradProduct`), other products keep the wasm one.
 */
export const NATIVE_ATTR = 'modelLabNative';

/** What the product can apply to each tile as it stores it: + bias (one float per column), then ReLU. */
export interface ProductEpilogue {
  bias?: tf.TensorInfo;
  relu?: boolean;
  /** Run on the native product when it loaded (dense layers only: see `NATIVE_ATTR`). */
  native?: boolean;
}

/**
 * `op(a) x op(b)` with tfjs's batch broadcasting (then `epilogue`), or undefined where the SIMD
 * product does not apply (or the epilogue's bias is not one float32 per column).
 */
export function simdMatMul(
  backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, epilogue: ProductEpilogue = {},
): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const inner = a.shape[a.shape.length - (transposeA ? 2 : 1)];
  const cols = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const batch = size(batchShape);
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return undefined;
  const { bias, relu = false, native = false } = epilogue;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== cols || bias.shape[bias.shape.length - 1] !== cols)) return undefined;
  // An empty sum has no last slice to apply the epilogue to (the stock path handles it).
  if (inner === 0 && (bias || relu)) return undefined;
  const out = backend.makeOutput([...batchShape, rows, cols], 'float32');
  if (batch * rows * cols === 0) return out;
  if (inner === 0) {
    (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
    return out;
  }
  // Offsets, not views: allocating (scratch) may grow the heap, but offsets stay valid.
  const [pa, pb, pc] = [a, b, out].map((t) => heapOffset(backend, t));
  const aStride = batchA === 1 ? 0 : rows * inner * 4;
  const bStride = batchB === 1 ? 0 : inner * cols * 4;
  const options = { bias: bias ? heapOffset(backend, bias) : 0, relu, native };
  // Without a batch of b, the whole batch of a is one tall matrix against the shared b.
  const tall = batchB === 1 && !transposeA;
  for (let i = 0; i < (tall ? 1 : batch); i++) {
    productAt(backend, tall ? batch * rows : rows, cols, inner, pa + i * aStride, transposeA, pb + i * bStride, transposeB, pc + i * rows * cols * 4, options);
  }
  return out;
}

/**
 * C (m x n at heap byte offset c) = op(A) op(B) (+ bias, ReLU): A m x k (transposed: stored k x m),
 * B k x n (n x k), dense row-major; on the native product when `native` and it loaded, else on the
 * SIMD one, threaded either way. `bias`: heap byte offset of n floats, 0 for none.
 */
export function productAt(
  backend: BackendWasm, m: number, n: number, k: number, a: number, transA: boolean, b: number, transB: boolean, c: number,
  { bias = 0, relu = false, native = false }: { bias?: number; relu?: boolean; native?: boolean } = {},
): void {
  const gemm = native ? nativeGemm() : undefined;
  if (gemm) nativeMatMul(gemm, backend, m, n, k, a, transA, b, transB, c, { bias, relu });
  else matMulThreaded(backend, m, n, k, a, transA ? 4 : k * 4, transA ? m * 4 : 4, b, transB ? 1 : 0, c, { bias, relu });
}
