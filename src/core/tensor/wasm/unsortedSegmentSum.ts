import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeInfos, runWasmKernel } from './kernelCall';
import type { WasmKernelFix } from './kernelFix';

/**
 * UnsortedSegmentSum (the gradient of Gather, i.e. of every embedding layer), missing on wasm.
 *
 * It is a ScatterNd with one index per row: the wasm ScatterNd kernel adds up rows that share
 * an index, which is exactly segment summation. Ids outside [0, numSegments) contribute nothing
 * (TensorFlow's semantics, and the cpu backend's); since ScatterNd would write out of bounds for
 * them, they are redirected to an extra scratch segment that is cut off afterwards.
 */
export const unsortedSegmentSumFix: WasmKernelFix = {
  kernelName: 'UnsortedSegmentSum',
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
      const idCount = segmentIds.shape.reduce((p, d) => p * d, 1);
      const rowShape = x.shape.slice(segmentIds.shape.length);

      const ids = backend.readSync(segmentIds.dataId) as Int32Array | Float32Array;
      const outOfRange = ids.some((id) => id < 0 || id >= numSegments);
      const segments = outOfRange ? numSegments + 1 : numSegments;
      let indices: tf.TensorInfo;
      if (outOfRange || segmentIds.dtype !== 'int32') {
        indices = backend.makeOutput([idCount, 1], 'int32');
        const target = backend.typedArrayFromHeap(indices) as Int32Array;
        for (let k = 0; k < idCount; k++) target[k] = ids[k] >= 0 && ids[k] < numSegments ? ids[k] : numSegments;
      } else {
        indices = runWasmKernel(backend, 'Reshape', { x: segmentIds }, { shape: [idCount, 1] });
      }
      const updates = runWasmKernel(backend, 'Reshape', { x }, { shape: [idCount, ...rowShape] });
      const summed = runWasmKernel(backend, 'ScatterNd', { indices, updates }, { shape: [segments, ...rowShape] });
      disposeInfos(backend, indices, updates);
      if (!outOfRange) return summed;
      const kept = runWasmKernel(backend, 'Slice', { x: summed }, {
        begin: [0, ...rowShape.map(() => 0)],
        size: [numSegments, ...rowShape],
      });
      disposeInfos(backend, summed);
      return kept;
    };
  },
};
