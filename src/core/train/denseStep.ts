import * as tf from '@tensorflow/tfjs';
import { DENSE_STACK_GRADS } from '../tensor/wasm/denseStack';
import { denseChain, type ForwardPlan, layerVariables } from './forward';

/**
 * The training step of a model whose trainable layers are all dense (an MLP, or the dense head
 * after a frozen prefix): loss and gradients from ONE kernel (`tensor/wasm/denseStack.ts`) instead
 * of `tf.variableGrads` over the layers' kernels, which records a tape entry per kernel and copies
 * every tensor a gradient saves. The gradients are the tape path's bit for bit (the same kernels'
 * arithmetic, call for call); frozen layers stay out of it as from the tape (the stack starts at
 * the first trainable layer and computes no input gradient for it).
 * `MODEL_LAB_DENSE_STEP=0` turns it off (the tape path runs), for A/B runs.
 */
export const DENSE_STEP_ENV_VAR = 'MODEL_LAB_DENSE_STEP';

export interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/**
 * The layers `from..` of `plan` as the fused step runs them (their names), or why it does not
 * run for them (`reason`): what the trainer logs when the step's path changes.
 */
export function denseStepPlan(plan: ForwardPlan, from: number, variables: tf.Variable[]): { layers?: string[]; reason?: string } {
  if (process.env[DENSE_STEP_ENV_VAR] === '0') return { reason: `${DENSE_STEP_ENV_VAR}=0` };
  if (tf.getKernel(DENSE_STACK_GRADS, tf.getBackend()) == null) return { reason: `no ${DENSE_STACK_GRADS} kernel on backend ${tf.getBackend()}` };
  const chain = denseChain(plan, from);
  if (!chain) return { reason: 'the trainable layers are not all dense' };
  const stack = chain.layers.flatMap(layerVariables);
  // Exactly the stack's kernels and biases, in order (a layer marked not trainable is not among them).
  if (stack.length !== 2 * chain.layers.length || stack.length !== variables.length || stack.some((v, i) => v !== variables[i])) {
    return { reason: 'the trainable variables are not the dense layers\' kernels and biases' };
  }
  return { layers: chain.layers.map((l) => l.name) };
}

/**
 * Loss and gradients (for `variables`, keyed by name in their order, as `tf.variableGrads` gives
 * them) of the mean softmax cross-entropy of layers `from..` on `h` against `labels`, from the
 * fused kernel; undefined where it does not apply (see `denseStepPlan`; the caller uses the tape).
 */
export function denseStepGradients(
  plan: ForwardPlan, h: tf.Tensor, labels: tf.Tensor1D, from: number, variables: tf.Variable[], numClasses: number,
): StepGradients | undefined {
  if (!denseStepPlan(plan, from, variables).layers) return undefined;
  const chain = denseChain(plan, from)!;
  // A Flatten before the dense layers is not a kernel of its own: the kernel reads x [m, ...] as
  // [m, its other dimensions' product] (the same floats; a reshape would be one more op a step).
  const flatten = h.rank > 2 && chain.flatten;
  const last = variables[variables.length - 2];
  if ((h.rank !== 2 && !flatten) || h.dtype !== 'float32' || labels.dtype !== 'int32' || h.size / h.shape[0] !== variables[0].shape[0] || last.shape[1] !== numClasses) {
    return undefined;
  }
  const inputs: tf.NamedTensorMap = { x: h, labels };
  chain.layers.forEach((_, i) => {
    inputs[`w${i}`] = variables[2 * i];
    inputs[`b${i}`] = variables[2 * i + 1];
  });
  const [value, ...outs] = tf.engine().runKernel(DENSE_STACK_GRADS, inputs, { relu: chain.relu } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const grads: tf.NamedTensorMap = {};
  variables.forEach((v, i) => {
    grads[v.name] = outs[i];
  });
  return { value: value as tf.Scalar, grads };
}
