import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeInfos, reshapeInfo as reshape, transposeLastTwo } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/**
 * Below this many multiply-adds per matrix of a batched product, the stock kernel's own loop
 * is as fast as splitting the batch (per-matrix kernel-call overhead wins); see `create`.
 * Set from measurements with `scripts/bench/kernels.ts`.
 */
export const MIN_MACS_TO_SPLIT_BATCH = 1 << 16;

/**
 * BatchMatMul routed to the stock wasm kernel's one fast path: a single (batch 1),
 * untransposed product, which it hands to XNNPACK. Everything else in the stock kernel is a
 * plain loop, 10-30x slower (measured: [128,784]x[784,512] plain 4.6 ms, transposeA 103 ms;
 * [8,256,64]x[8,64,256] 356 ms vs. 8 separate products ~25 ms). Hence:
 * - transposeA/transposeB: an explicit transpose (the wasm Transpose kernel copies a [784,512]
 *   matrix in ~0.5 ms) and the plain product. Every dense layer's backward pass needs this.
 * - a batch (attention scores and their gradients): one product per matrix, written into the
 *   output; when only `a` is batched and not transposed, one product of `a` seen as 2-D.
 * Small batched products (under `MIN_MACS_TO_SPLIT_BATCH` per matrix) stay with the stock kernel.
 */
export const batchMatMulFix: WasmKernelFix = {
  kernelName: 'BatchMatMul',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no BatchMatMul kernel to build on');
    const stockKernel = stock.kernelFunc;
    return (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const backend = args.backend as BackendWasm;
      const plain = (x: tf.TensorInfo, y: tf.TensorInfo) =>
        stockKernel({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
      const shape = productShape(a, b, transposeA, transposeB);
      if (shape.batch === 1) {
        if (!transposeA && !transposeB) return stockKernel(args);
        return transposedMatMul(backend, a, b, transposeA, transposeB, plain);
      }
      if (shape.rows * shape.inner * shape.cols < MIN_MACS_TO_SPLIT_BATCH || !shape.splittable) return stockKernel(args);
      return batchedMatMul(backend, a, b, transposeA, transposeB, shape, plain);
    };
  },
};

interface ProductShape {
  outShape: number[];
  batch: number;
  batchA: number;
  batchB: number;
  rows: number;
  inner: number;
  cols: number;
  /** Each operand is either unbatched or has the output's batch (no 2-way broadcast). */
  splittable: boolean;
}

function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): ProductShape {
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const inner = a.shape[a.shape.length - (transposeA ? 2 : 1)];
  const cols = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const batch = size(batchShape);
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  return {
    outShape: [...batchShape, rows, cols],
    batch, batchA, batchB, rows, inner, cols,
    splittable: (batchA === 1 || batchA === batch) && (batchB === 1 || batchB === batch),
  };
}

/** One fast 2-D product per matrix of the batch, copied into the output. */
function batchedMatMul(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  shape: ProductShape,
  plain: (x: tf.TensorInfo, y: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo {
  const twoD = (t: tf.TensorInfo) => t.shape.slice(-2);
  if (shape.batchB === 1 && !transposeA) {
    // [batch*rows, inner] x op(b): one product, no split.
    const a2d = reshape(backend, a, [shape.batchA * shape.rows, shape.inner]);
    const b2d = reshape(backend, b, twoD(b));
    const product = transposedMatMul(backend, a2d, b2d, false, transposeB, plain);
    const out = reshape(backend, product, shape.outShape);
    disposeInfos(backend, a2d, b2d, product);
    return out;
  }
  // Transpose whole batches once, then every per-matrix product is plain.
  const a3d = reshape(backend, a, [shape.batchA, ...twoD(a)]);
  const b3d = reshape(backend, b, [shape.batchB, ...twoD(b)]);
  const aRows = transposeA ? transposeLastTwo(backend, a3d) : a3d;
  const bRows = transposeB ? transposeLastTwo(backend, b3d) : b3d;
  // A view copy of matrix i (the Slice kernel would first copy the whole batch out of the heap).
  const matrixAt = (t3d: tf.TensorInfo, i: number) => {
    const [, r, c] = t3d.shape;
    const matrix = backend.makeOutput([r, c], 'float32');
    const source = backend.typedArrayFromHeap(t3d) as Float32Array;
    (backend.typedArrayFromHeap(matrix) as Float32Array).set(source.subarray(i * r * c, (i + 1) * r * c));
    return matrix;
  };
  const out = backend.makeOutput(shape.outShape, 'float32');
  const matrixSize = shape.rows * shape.cols;
  const sharedA = shape.batchA === 1 ? matrixAt(aRows, 0) : undefined;
  const sharedB = shape.batchB === 1 ? matrixAt(bRows, 0) : undefined;
  for (let i = 0; i < shape.batch; i++) {
    const ai = sharedA ?? matrixAt(aRows, i);
    const bi = sharedB ?? matrixAt(bRows, i);
    const product = plain(ai, bi);
    // Fresh heap views after each kernel call: wasm memory may have grown (old views detach).
    (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(product) as Float32Array, i * matrixSize);
    disposeInfos(backend, product);
    if (ai !== sharedA) disposeInfos(backend, ai);
    if (bi !== sharedB) disposeInfos(backend, bi);
  }
  if (sharedA) disposeInfos(backend, sharedA);
  if (sharedB) disposeInfos(backend, sharedB);
  if (aRows !== a3d) disposeInfos(backend, aRows);
  if (bRows !== b3d) disposeInfos(backend, bRows);
  disposeInfos(backend, a3d, b3d);
  return out;
}

/**
 * `op(a) x op(b)` built from a plain matmul `mul` and explicit transposes of the last two axes.
 * Which operands get transposed is chosen to copy the fewest elements:
 * A^T B = (B^T A)^T, A B^T = (B A^T)^T and A^T B^T = (B A)^T are the alternatives.
 * Shared with the fused matmul fix, which passes `swapAllowed = false` (its bias and activation
 * apply to the product, so the product cannot be computed transposed).
 */
export function transposedMatMul(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  mul: (x: tf.TensorInfo, y: tf.TensorInfo) => tf.TensorInfo,
  swapAllowed = true,
): tf.TensorInfo {
  const size = (t: tf.TensorInfo) => t.shape.reduce((p, d) => p * d, 1);
  const shape = productShape(a, b, transposeA, transposeB);
  const outSize = shape.batch * shape.rows * shape.cols;
  // Elements copied by transposing the flagged operands vs. by the swapped form.
  const direct = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0);
  const swapped = (transposeA ? 0 : size(a)) + (transposeB ? 0 : size(b)) + outSize;
  if (!swapAllowed || direct <= swapped) {
    const at = transposeA ? transposeLastTwo(backend, a) : a;
    const bt = transposeB ? transposeLastTwo(backend, b) : b;
    const out = mul(at, bt);
    if (at !== a) disposeInfos(backend, at);
    if (bt !== b) disposeInfos(backend, bt);
    return out;
  }
  // (op(a) op(b))^T = op(b)^T op(a)^T: transpose the operands that were NOT flagged, then the product.
  const bt = transposeB ? b : transposeLastTwo(backend, b);
  const at = transposeA ? a : transposeLastTwo(backend, a);
  const productT = mul(bt, at);
  if (bt !== b) disposeInfos(backend, bt);
  if (at !== a) disposeInfos(backend, at);
  const out = transposeLastTwo(backend, productT);
  disposeInfos(backend, productT);
  return out;
}
