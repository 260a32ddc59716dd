import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';

/**
 * GatherV2 (batchDims 0) as block copies on the wasm heap. Every training step gathers its
 * batch from the training set with it; the stock kernel computes a strided index per element
 * and took 13.7 ms for 128 Fashion-MNIST rows of a [2048,28,28,1] tensor (one fifth of an MLP
 * step), against ~0.05 ms for 128 row copies. Other cases (batchDims > 0, indices out of range,
 * which the stock kernel reports) go to the stock kernel.
 */
export const gatherV2Fix: WasmKernelFix = {
  kernelName: 'GatherV2',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no GatherV2 kernel to fall back on');
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
      const out = gatherBlocks(backend, x, indices, axis, batchDims);
      return out ?? stock.kernelFunc(args);
    };
  },
};

function gatherBlocks(backend: BackendWasm, x: tf.TensorInfo, indices: tf.TensorInfo, axis: number, batchDims: number): tf.TensorInfo | undefined {
  if (batchDims !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32')) return undefined;
  const a = tf.util.parseAxisParam(axis, x.shape)[0];
  const rows = x.shape[a];
  // A copy: allocating the output may grow the heap, which detaches every view taken before.
  const idx = Int32Array.from(backend.typedArrayFromHeap(indices) as Int32Array);
  for (let k = 0; k < idx.length; k++) if (!(idx[k] >= 0 && idx[k] < rows)) return undefined;
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)], x.dtype);
  const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  const n = idx.length;
  for (let o = 0; o < outer; o++) {
    const from = o * rows * inner;
    const to = o * n * inner;
    for (let k = 0; k < n; k++) {
      const s = from + idx[k] * inner;
      dst.set(src.subarray(s, s + inner), to + k * inner);
    }
  }
  return out;
}
