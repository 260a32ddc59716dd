import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { productAt } from './batchMatMul';
import type { WasmKernelFix } from './kernelFix';
import { nativeBiasActivationGrad, nativeElementwise, nativeGemm } from './nativeGemm';
import { boundSimdKernels, heapOffset } from './simdKernels';
import { meanSoftmaxCrossEntropy, softmaxCrossEntropyGrad } from './softmaxCrossEntropy';
import { alignedFloats, biasActivationGradThreaded, biasGradBlockRows } from './threads';

/**
 * A whole stack of dense layers trained as ONE kernel: forward, the mean softmax cross-entropy
 * and every weight and bias gradient, outside tfjs's gradient tape. Through the tape a 3-layer
 * MLP's step is ~28 kernel calls (the fused layers, their gradient products, the loss both ways,
 * 12 Identity copies of the tensors the tape saves), each with its tensor, allocation and
 * dispose; that bookkeeping cost about as much CPU as the native products themselves.
 *
 * The arithmetic is the tape path's, call for call: each layer's product with bias and ReLU in its
 * epilogue (`ModelLabDense`), the loss and its gradient (`ModelLabSoftmaxCrossEntropy*`), the
 * bias/ReLU gradient (`ModelLabBiasActivationGrad`), then dW = h^T dz and dh = dz W^T on the same
 * products (native where the dense layers use it). So the gradients are the tape path's bit for bit
 * (tested), for any thread count. The first layer's input gradient is not computed (whatever
 * feeds it is frozen or data).
 *
 * Inputs {x [m, k0] float32 (or [m, ...], read as [m, k0]: a Flatten before the stack), labels [m] int32, w0 [k0, n0], b0 [n0], w1, b1, ...}, attrs {relu:
 * one flag per layer} -> [loss (scalar), dw0, db0, dw1, db1, ...]. No gradient of its own: it is
 * called outside the tape (`train/denseStep.ts`).
 */
export const DENSE_STACK_GRADS = 'ModelLabDenseStackGrads';

export interface DenseStackAttrs {
  relu: boolean[];
}


export const denseStackGradsKernel: WasmKernelFix = {
  kernelName: DENSE_STACK_GRADS,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const inputs = args.inputs as Record<string, tf.TensorInfo>;
      const { relu } = args.attrs as unknown as DenseStackAttrs;
      const layers = relu.length;
      const { x, labels } = inputs;
      const w = relu.map((_, i) => inputs[`w${i}`]);
      const b = relu.map((_, i) => inputs[`b${i}`]);
      const m = x.shape[0];
      // x [m, k0], or [m, ...] read as [m, k0] (a Flatten before the stack: the same floats).
      const width = [tf.util.sizeFromShape(x.shape.slice(1)), ...w.map((t) => t.shape[1])];
      if (x.shape.length < 2 || [x, ...w, ...b].some((t) => t.dtype !== 'float32') || labels.shape.length !== 1 || labels.shape[0] !== m ||
        w.some((t, i) => t.shape.length !== 2 || t.shape[0] !== width[i]) || b.some((t, i) => tf.util.sizeFromShape(t.shape) !== width[i + 1])) {
        throw new Error(`${DENSE_STACK_GRADS}: x [m, k] (or [m, ...]) float32, labels [m], w_i [k_i, n_i] and b_i [n_i] float32`);
      }
      const loss = backend.makeOutput([], 'float32');
      const grads = relu.flatMap((_, i) => [backend.makeOutput(w[i].shape, 'float32'), backend.makeOutput(b[i].shape, 'float32')]);
      // Scratch, one allocation: per layer its output y_i, the gradient dy_i of that output, dz_i
      // (the gradient before ReLU, when it has one) and float64 column sums for the bias gradient.
      const sizes = width.slice(1).map((n) => alignedFloats(m * n));
      const floats = sizes.reduce((s, n, i) => s + n * (relu[i] ? 3 : 2) + alignedFloats(2 * width[i + 1]), 0);
      const scratch = backend.makeOutput([floats], 'float32');
      try {
        let at = heapOffset(backend, scratch);
        const take = (n: number) => {
          const offset = at;
          at += n * 4;
          return offset;
        };
        const y = sizes.map(take);
        const dy = sizes.map(take);
        const dz = sizes.map((n, i) => (relu[i] ? take(n) : dy[i]));
        const acc = width.slice(1).map((n) => take(alignedFloats(2 * n)));
        const px = heapOffset(backend, x);
        const pw = w.map((t) => heapOffset(backend, t));
        const pb = b.map((t) => heapOffset(backend, t));
        const pg = grads.map((t) => heapOffset(backend, t));
        const input = (i: number) => (i === 0 ? px : y[i - 1]);
        // Bias/ReLU gradients on the products' threads where those are native (one pool per step).
        const elementwise = nativeGemm() ? nativeElementwise() : undefined;
        for (let i = 0; i < layers; i++) {
          productAt(backend, m, width[i + 1], width[i], input(i), false, pw[i], false, y[i], { bias: pb[i], relu: relu[i], native: true });
        }
        // Views only now: allocations (the products' scratch too) may have grown the heap.
        const last = layers - 1;
        const classes = width[layers];
        const heap = new Float32Array(boundSimdKernels(backend).memory.buffer);
        const logits = heap.subarray(y[last] / 4, y[last] / 4 + m * classes);
        const yLabels = backend.typedArrayFromHeap(labels) as Int32Array | Float32Array;
        heap[heapOffset(backend, loss) / 4] = meanSoftmaxCrossEntropy(logits, yLabels, m, classes);
        // d loss / d logits for the seed gradient 1 (as tf.variableGrads gives it): scale 1 / m.
        softmaxCrossEntropyGrad(logits, yLabels, m, classes, 1 / m, heap.subarray(dy[last] / 4, dy[last] / 4 + m * classes));
        for (let i = last; i >= 0; i--) {
          const n = width[i + 1];
          if (elementwise) nativeBiasActivationGrad(elementwise, backend, dy[i], y[i], dz[i], m, n, pg[2 * i + 1], relu[i], biasGradBlockRows(m, n));
          else biasActivationGradThreaded(backend, dy[i], y[i], relu[i] ? dz[i] : 0, m, n, acc[i], pg[2 * i + 1], relu[i]);
          productAt(backend, width[i], n, m, input(i), true, dz[i], false, pg[2 * i], { native: true });
          if (i > 0) productAt(backend, m, width[i], n, dz[i], false, pw[i], true, dy[i - 1], { native: true });
        }
      } catch (e) {
        for (const t of [loss, ...grads]) backend.disposeData(t.dataId);
        throw e;
      } finally {
        backend.disposeData(scratch.dataId);
      }
      return [loss, ...grads];
    };
  },
};
