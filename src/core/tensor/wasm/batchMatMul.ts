import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeInfos, transposeLastTwo } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/**
 * BatchMatMul with transposeA/transposeB, as an explicit transpose plus the plain wasm matmul.
 *
 * Why: the stock wasm kernel's transposed paths are 10-20x slower than its plain path (measured:
 * [128,784]x[784,512] plain 4.6 ms, transposeA 103 ms), while the wasm Transpose kernel copies a
 * [784,512] matrix in ~0.5 ms. Every dense layer's backward pass uses the transposed forms.
 *
 * Which operands get transposed is chosen to copy the fewest elements:
 * A^T B = (B^T A)^T, A B^T = (B A^T)^T and A^T B^T = (B A)^T are the alternatives.
 */
export const batchMatMulFix: WasmKernelFix = {
  kernelName: 'BatchMatMul',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no BatchMatMul kernel to build on');
    const plain = stock.kernelFunc;
    return (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const backend = args.backend as BackendWasm;
      if (!transposeA && !transposeB) return plain(args);
      const mul = (x: tf.TensorInfo, y: tf.TensorInfo) =>
        plain({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
      return transposedMatMul(backend, a, b, transposeA, transposeB, mul);
    };
  },
};

/**
 * `op(a) x op(b)` built from a plain matmul `mul` and explicit transposes of the last two axes.
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
  const rows = a.shape[a.shape.length - (transposeA ? 1 : 2)];
  const cols = b.shape[b.shape.length - (transposeB ? 2 : 1)];
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outSize = batchShape.reduce((p, d) => p * d, 1) * rows * cols;
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
