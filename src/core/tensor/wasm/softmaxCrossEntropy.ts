import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';

/**
 * The training loss as ONE kernel forward and one backward: mean softmax cross-entropy of logits
 * [rows, classes] against integer labels [rows]. tfjs's `losses.softmaxCrossEntropy` on a one-hot
 * is ~20 kernels each way (oneHot, cast, logSumExp's max/sub/exp/sum/log/add, sub, mul, neg, sum,
 * div, and as many backward), each a tape entry and an allocation: on a batch of 128 x 10 that
 * bookkeeping, not the arithmetic, is the cost. Computed in float64 per row (max-shifted
 * log-sum-exp), rounded to float32 once; one thread, so the same whatever the thread count. A
 * label outside 0..classes-1 counts as an all-zero one-hot row, as with `tf.oneHot`.
 */
export const SOFTMAX_CROSS_ENTROPY = 'ModelLabSoftmaxCrossEntropy';
export const SOFTMAX_CROSS_ENTROPY_GRAD = 'ModelLabSoftmaxCrossEntropyGrad';

/** Per row: its log-sum-exp and the row's shifted exponentials' sum (softmax = exp(x - max) / sum). */
function rowStats(x: Float32Array, at: number, classes: number): { max: number; sum: number } {
  let max = -Infinity;
  for (let j = 0; j < classes; j++) max = Math.max(max, x[at + j]);
  let sum = 0;
  for (let j = 0; j < classes; j++) sum += Math.exp(x[at + j] - max);
  return { max, sum };
}

/** The kernel's arithmetic on views (logits x [rows, classes], labels y): the mean loss, rounded to float32 where stored. */
export function meanSoftmaxCrossEntropy(x: Float32Array, y: Int32Array | Float32Array, rows: number, classes: number): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const at = i * classes;
    const label = y[i];
    if (!(label >= 0 && label < classes)) continue;
    const { max, sum } = rowStats(x, at, classes);
    total += max + Math.log(sum) - x[at + label];
  }
  return rows > 0 ? total / rows : NaN;
}

/** The gradient kernel's arithmetic on views: g = (softmax(x) - onehot(y)) * scale (scale: dy / rows). */
export function softmaxCrossEntropyGrad(x: Float32Array, y: Int32Array | Float32Array, rows: number, classes: number, scale: number, g: Float32Array): void {
  for (let i = 0; i < rows; i++) {
    const at = i * classes;
    const { max, sum } = rowStats(x, at, classes);
    for (let j = 0; j < classes; j++) g[at + j] = (Math.exp(x[at + j] - max) / sum - (y[i] === j ? 1 : 0)) * scale;
  }
}

function views(backend: BackendWasm, logits: tf.TensorInfo, labels: tf.TensorInfo) {
  if (logits.dtype !== 'float32' || logits.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`${SOFTMAX_CROSS_ENTROPY}: logits [rows, classes] float32 and labels [rows]`);
  }
  return {
    rows: logits.shape[0],
    classes: logits.shape[1],
    x: backend.typedArrayFromHeap(logits) as Float32Array,
    y: backend.typedArrayFromHeap(labels) as Int32Array | Float32Array,
  };
}

/** Inputs {logits, labels} -> the mean loss (a scalar). */
export const softmaxCrossEntropyKernel: WasmKernelFix = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { logits, labels } = args.inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
      const out = backend.makeOutput([], 'float32');
      // Views after allocating: a growing heap detaches earlier ones.
      const { rows, classes, x, y } = views(backend, logits, labels);
      (backend.typedArrayFromHeap(out) as Float32Array)[0] = meanSoftmaxCrossEntropy(x, y, rows, classes);
      return out;
    };
  },
};

/** Inputs {logits, labels, dy} -> d loss / d logits = (softmax - onehot) dy / rows. */
export const softmaxCrossEntropyGradKernel: WasmKernelFix = {
  kernelName: SOFTMAX_CROSS_ENTROPY_GRAD,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { logits, labels, dy } = args.inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo; dy: tf.TensorInfo };
      const out = backend.makeOutput(logits.shape, 'float32');
      const { rows, classes, x, y } = views(backend, logits, labels);
      const scale = (backend.typedArrayFromHeap(dy) as Float32Array)[0] / rows;
      softmaxCrossEntropyGrad(x, y, rows, classes, scale, backend.typedArrayFromHeap(out) as Float32Array);
      return out;
    };
  },
};

const GRADIENT: tf.GradConfig = {
  kernelName: SOFTMAX_CROSS_ENTROPY,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved) => {
    const [logits, labels] = saved;
    return {
      logits: () => tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { logits, labels, dy: dy as tf.Tensor }) as tf.Tensor,
      labels: () => tf.zeros(labels.shape),
    };
  },
};

export function registerSoftmaxCrossEntropyGradient(): void {
  tf.registerGradient(GRADIENT);
}

/**
 * Mean softmax cross-entropy of logits [rows, classes] (float32) against integer labels [rows]
 * in one kernel, or undefined where the active backend lacks it (the caller uses tfjs's ops).
 */
export function sparseSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar | undefined {
  if (tf.getKernel(SOFTMAX_CROSS_ENTROPY, tf.getBackend()) == null || logits.rank !== 2 || logits.dtype !== 'float32') return undefined;
  return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels }) as tf.Scalar;
}
