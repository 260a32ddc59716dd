import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';

/** Below this many contiguous elements per copied run, the stock kernel's element loop is used. */
const MIN_RUN = 8;

/**
 * Slice as block copies on the heap. The stock kernel first copies the whole input out of the
 * heap (`readSync`) on every call: slicing 256 rows out of a 20,000-example training set took
 * ~30 ms, so filling the frozen-prefix cache (and every evaluation, which batches the same way)
 * spent most of its time there. Here every maximal contiguous run of the slice (the axes after
 * the last partially sliced one are whole) is one `TypedArray.set`.
 */
export const sliceFix: WasmKernelFix = {
  kernelName: 'Slice',
  create(stock) {
    if (!stock) throw new Error('the wasm backend has no Slice kernel to fall back on');
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
      if (x.dtype === 'string') return stock.kernelFunc(args);
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
      const rank = x.shape.length;
      let k = rank - 1;
      while (k >= 0 && b[k] === 0 && s[k] === x.shape[k]) k--;
      const strides = [...tf.util.computeStrides(x.shape), 1];
      const run = k < 0 ? tf.util.sizeFromShape(x.shape) : s[k] * strides[k];
      if (run < MIN_RUN && tf.util.sizeFromShape(s) > 0) return stock.kernelFunc(args);

      const out = backend.makeOutput(s, x.dtype);
      // Views only after the allocation: it may grow the heap, which detaches earlier views.
      const src = backend.typedArrayFromHeap(x);
      const dst = backend.typedArrayFromHeap(out);
      const outer = s.slice(0, Math.max(k, 0));
      const count = tf.util.sizeFromShape(outer);
      const index = new Array<number>(outer.length).fill(0);
      for (let r = 0; r < count && run > 0; r++) {
        let from = k < 0 ? 0 : b[k] * strides[k];
        for (let i = 0; i < outer.length; i++) from += (b[i] + index[i]) * strides[i];
        dst.set(src.subarray(from, from + run), r * run);
        for (let i = outer.length - 1; i >= 0; i--) {
          if (++index[i] < outer[i]) break;
          index[i] = 0;
        }
      }
      return out;
    };
  },
};
