import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WasmKernelFix } from './kernelFix';
import { canRunBehind, runBehind } from './behind';
import { nativeAdam, nativeAdamMany, nativeElementwise } from './nativeGemm';
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
      runAdam(backend, w, g, m, v, outs.map((t) => heapOffset(backend, t)), a);
      return outs;
    };
  },
};

function runAdam(
  backend: BackendWasm, w: tf.TensorInfo, g: tf.TensorInfo, m: tf.TensorInfo, v: tf.TensorInfo, out: number[], a: AdamStepAttrs, onNative = false,
): void {
  const pointers = [heapOffset(backend, w), heapOffset(backend, g), heapOffset(backend, m), heapOffset(backend, v), ...out];
  const floats = [a.learningRate, a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.epsilon, a.oneMinusAccBeta1, a.oneMinusAccBeta2];
  // On the native module's threads when asked (the same arithmetic): after the fused dense step,
  // whose threaded work all ran there, so that a step wakes one pool of threads, not two.
  const native = onNative ? nativeElementwise() : undefined;
  if (native) nativeAdam(native, backend, pointers, tf.util.sizeFromShape(w.shape), floats);
  else adamThreaded(backend, pointers, tf.util.sizeFromShape(w.shape), floats);
}

/** One variable's tensors for `adamStepsInPlace`. */
export interface AdamVariable {
  w: tf.Tensor;
  g: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

function inPlaceAllowed(): boolean {
  return process.env.MODEL_LAB_ADAM_IN_PLACE !== '0' && tf.getBackend() === 'wasm';
}

/** In place only where nothing else shares w, m, v's buffers (a count of 1 also means none of the four aliases another). */
function inPlaceApplies(backend: BackendWasm, { w, g, m, v }: AdamVariable): boolean {
  return g.dtype === 'float32' && [w, m, v].every((t) => t.dtype === 'float32' && backend.refCount(t.dataId) === 1);
}

/**
 * The Adam step written into each variable's w, m and v's own buffers: no output tensors, no
 * `assign`, no engine call (a step of the reference MLP allocated and freed 3 x 2.7 MB and ran 6
 * kernels for it). Only where nothing else shares those buffers (a clone, a reshape or an Identity
 * output of a variable holds its buffer with it: the backend's reference count is then above 1),
 * and not with `MODEL_LAB_ADAM_IN_PLACE=0`; returns the variables it did not step (use the kernel).
 * `onNative`: on the native module's threads where it loaded (`nativeElementwise`).
 * Each element is read before it is written, by one thread, so the results are the kernel's.
 * On the native threads (`onNative`) the variables are one job, one dispatch instead of one per
 * variable; with more than one thread that job runs behind the main thread (`behind.ts`: the
 * trainer's JavaScript and the next step's start go on meanwhile, fenced before anything touches
 * the weights, the moments or the gradients' memory), unless `MODEL_LAB_ADAM_OVERLAP=0`.
 * `behind` says whether it did. Bit for bit the kernel's, whichever thread runs which block.
 */
export function adamStepsInPlace(variables: AdamVariable[], attrs: AdamStepAttrs, onNative = false): { rest: AdamVariable[]; behind: boolean } {
  if (!inPlaceAllowed()) return { rest: variables, behind: false };
  const backend = tf.backend() as BackendWasm;
  const steps = variables.filter((t) => inPlaceApplies(backend, t));
  const rest = variables.filter((t) => !steps.includes(t));
  const native = onNative ? nativeElementwise() : undefined;
  if (steps.length === 0) return { rest, behind: false };
  if (!native?.adamMany) {
    for (const { w, g, m, v } of steps) runAdam(backend, w, g, m, v, [w, m, v].map((t) => heapOffset(backend, t)), attrs, onNative);
    return { rest, behind: false };
  }
  const floats = [attrs.learningRate, attrs.beta1, attrs.beta2, 1 - attrs.beta1, 1 - attrs.beta2, attrs.epsilon, attrs.oneMinusAccBeta1, attrs.oneMinusAccBeta2];
  const list = steps.map(({ w, g, m, v }) => ({ pointers: [w, g, m, v].map((t) => heapOffset(backend, t)), n: tf.util.sizeFromShape(w.shape) }));
  const behind = canRunBehind(backend, native);
  if (behind) {
    runBehind(native, backend, steps.flatMap(({ w, m, v }) => [w, m, v]), steps.map(({ g }) => g), () => nativeAdamMany(native, backend, list, floats, true));
  } else {
    nativeAdamMany(native, backend, list, floats, false);
  }
  return { rest, behind };
}
