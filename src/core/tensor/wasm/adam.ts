import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { heapOffset } from './simdKernels';
import { adamThreaded } from './threads';

/** A kernel of this project's own: one Adam step of one variable, see `FusedAdamOptimizer`. */
export const ADAM_STEP = 'ModelLabAdamStep';

export interface AdamStepAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t (bias corrections of step t), float32 as tfjs computes them. */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

/**
 * Inputs {w, g, m, v} -> [w', m', v'] in one SIMD pass. tfjs's AdamOptimizer runs ~12 kernels per
 * variable, each allocating a tensor of the variable's size (8 ms per step for the reference MLP).
 */
export const adamStepKernel: WasmKernelFix = {
  kernelName: ADAM_STEP,
  simd: true,
  create() {
    return (args) => {
      const backend = args.backend as BackendWasm;
      const { w, g, m, v } = args.inputs as { w: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };
      const a = args.attrs as unknown as AdamStepAttrs;
      const outs = [w, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
      const [wOut, mOut, vOut] = outs.map((t) => heapOffset(backend, t));
      adamThreaded(backend,
        [heapOffset(backend, w), heapOffset(backend, g), heapOffset(backend, m), heapOffset(backend, v), wOut, mOut, vOut],
        tf.util.sizeFromShape(w.shape),
        [a.learningRate, a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2],
      );
      return outs;
    };
  },
};
