import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP, type AdamStepAttrs, adamStepsInPlace, type AdamVariable } from '../tensor/wasm/adam';

type NamedTensor = Parameters<tf.Optimizer['setWeights']>[0][number];

/**
 * Adam with one fused kernel per variable (`ADAM_STEP`, wasm) instead of tfjs's ~12 kernels and
 * temporaries per variable. Same arithmetic in the same float32 order as `tf.train.adam`, so the
 * two give identical weights (tested); same checkpoint format (`getWeights`: the iteration count,
 * then `${variable}/m` slots, then `${variable}/v` slots; moments bound to gradient positions).
 * Used by `createOptimizer` only where the backend has the kernel. Where no other tensor shares a
 * variable's or a moment's buffer, the step is written into them in place (`adamStepsInPlace`).
 */
export class FusedAdamOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'Adam';
  }

  private firstMoments: { name: string; variable: tf.Variable }[] = [];
  private secondMoments: { name: string; variable: tf.Variable }[] = [];
  /** beta^t as float32, multiplied step by step exactly as tfjs's Adam does. */
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = tf.backend().epsilon(),
  ) {
    super();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  /**
   * Steps on the native module's threads (`adamStepsInPlace`'s `onNative`): the trainer sets it for a
   * step whose gradients came from the fused dense step, whose threaded work all ran there.
   */
  onNativeThreads = false;

  /**
   * Whether the last step was left running behind the caller on the native threads
   * (`tensor/wasm/behind.ts`; fenced before anything touches the weights): for the run's provenance.
   */
  lastStepBehind = false;

  static supported(): boolean {
    return tf.getKernel(ADAM_STEP, tf.getBackend()) != null;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const attrs: AdamStepAttrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      oneMinusAccBeta1: Math.fround(1 - this.accBeta1),
      oneMinusAccBeta2: Math.fround(1 - this.accBeta2),
    };
    tf.tidy(() => {
      const variables: AdamVariable[] = [];
      grads.forEach(({ name, tensor: g }, i) => {
        const w = tf.engine().registeredVariables[name];
        this.firstMoments[i] ??= { name: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
        this.secondMoments[i] ??= { name: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
        if (g != null) variables.push({ w, g, m: this.firstMoments[i].variable, v: this.secondMoments[i].variable });
      });
      // In place where nothing shares the buffers (all variables as one job on the native threads), else the kernel.
      const { rest, behind } = adamStepsInPlace(variables, attrs, this.onNativeThreads);
      this.lastStepBehind = behind;
      for (const { w, g, m, v } of rest) {
        const [w2, m2, v2] = tf.engine().runKernel(ADAM_STEP, { w, g, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        (w as tf.Variable).assign(w2);
        (m as tf.Variable).assign(m2);
        (v as tf.Variable).assign(v2);
      }
    });
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
    this.incrementIterations();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.firstMoments, ...this.secondMoments];
    return [await this.saveIterations(), ...moments.map((s) => ({ name: s.name, tensor: s.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const half = values.length / 2;
    const asSlot = (w: NamedTensor) => ({ name: w.name, variable: w.tensor.variable(false) });
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((s) => s.variable));
    this.firstMoments = values.slice(0, half).map(asSlot);
    this.secondMoments = values.slice(half).map(asSlot);
    this.accBeta1 = floatPower(this.beta1, this.iterations_ + 1);
    this.accBeta2 = floatPower(this.beta2, this.iterations_ + 1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  override dispose(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((s) => s.variable));
  }
}

/** beta^n as float32 products, one step at a time (as training accumulates it). */
function floatPower(beta: number, n: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 1; i < n; i++) acc = Math.fround(acc * b);
  return acc;
}
