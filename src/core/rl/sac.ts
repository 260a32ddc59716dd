import * as tf from '@tensorflow/tfjs';
import type { TrainingSession } from '../train/loop';
import type { Rng } from '../util/random';
import { meanAndLogStd, normal, tanhGaussianSample } from './nn/distributions';
import { mlpApply, mlpInit, type MlpSpec, type MlpVars } from './nn/mlp';

/** SAC's settings (defaults from METRA's official code unless noted in docs/rl.md). */
export interface SacSettings {
  hidden: number[];
  learningRate: number;
  discount: number;
  /** Polyak rate of the target Q networks. */
  tau: number;
  /** Initial temperature alpha (learned). */
  alphaInit: number;
  /** Target entropy per action dimension (METRA: -1/2, i.e. -|A|/2 in total). */
  targetEntropyPerDim: number;
}

/** One SAC update's inputs: policy/critic inputs (observation features and skill), actions, rewards. */
export interface SacBatch {
  inputs: tf.Tensor;
  actions: tf.Tensor;
  nextInputs: tf.Tensor;
  rewards: tf.Tensor;
  dones: tf.Tensor;
}

/**
 * Soft actor-critic on a `TrainingSession`: a tanh-Gaussian policy, two Q functions (one
 * ensemble: one batched product per layer) with Polyak-averaged targets, and a learned
 * temperature. Groups: `<prefix>policy`, `<prefix>q` (+ copy `<prefix>qTarget`), `<prefix>alpha`.
 */
export class Sac {
  readonly policySpec: MlpSpec;
  readonly qSpec: MlpSpec;
  private readonly policy: MlpVars;
  private readonly q: MlpVars;
  private readonly logAlpha: tf.Variable;
  private readonly names: { policy: string; q: string; qTarget: string; alpha: string };

  constructor(
    private readonly session: TrainingSession,
    readonly inputDim: number,
    readonly actionDim: number,
    readonly settings: SacSettings,
    prefix = '',
  ) {
    const opt = { optimizer: { type: 'adam' as const, learningRate: settings.learningRate } };
    this.names = { policy: `${prefix}policy`, q: `${prefix}q`, qTarget: `${prefix}qTarget`, alpha: `${prefix}alpha` };
    this.policySpec = { sizes: [inputDim, ...settings.hidden, 2 * actionDim] };
    this.qSpec = { sizes: [inputDim + actionDim, ...settings.hidden, 1], ensemble: 2 };
    this.policy = session.addVariables(this.names.policy, mlpInit(this.policySpec, session.nextSeed()), opt);
    this.q = session.addVariables(this.names.q, mlpInit(this.qSpec, session.nextSeed()), opt);
    session.addCopy(this.names.qTarget, this.names.q);
    this.logAlpha = session.addVariables(this.names.alpha, { logAlpha: tf.scalar(Math.log(settings.alphaInit)) }, opt).logAlpha;
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.dataSync()[0]);
  }

  /** Critic, actor and temperature steps, then the target update (the official order). */
  update(b: SacBatch): Record<string, number> {
    const s = this.session;
    const { discount } = this.settings;
    const alpha = tf.exp(this.logAlpha);
    const target = tf.tidy(() => {
      const next = this.sample(b.nextInputs);
      const qNext = tf.min(this.qValues(s.variables(this.names.qTarget), b.nextInputs, next.action), 0);
      const soft = tf.sub(qNext, tf.mul(alpha, next.logProb));
      return tf.add(b.rewards, tf.mul(tf.mul(discount, tf.sub(1, b.dones)), soft));
    });
    const critic = s.step(this.names.q, () => {
      const q = this.qValues(this.q, b.inputs, b.actions); // [2, B]
      const err = tf.mean(tf.square(tf.sub(q, target)), 1);
      return { loss: tf.mul(0.5, tf.sum(err)), q: tf.mean(q) };
    }, { name: 'critic' });
    const actor = s.step(this.names.policy, () => {
      const p = this.sample(b.inputs);
      const q = tf.min(this.qValues(this.q, b.inputs, p.action), 0);
      const logProb = tf.mean(p.logProb);
      return { loss: tf.mean(tf.sub(tf.mul(alpha, p.logProb), q)), logProb };
    }, { name: 'actor' });
    const entropyGap = actor.logProb + this.settings.targetEntropyPerDim * this.actionDim;
    const temp = s.step(this.names.alpha, () => tf.mul(tf.neg(this.logAlpha), entropyGap), { name: 'temperature' });
    s.updateCopy(this.names.qTarget, this.settings.tau);
    return { ...critic, ...actor, ...temp, alpha: Math.exp(this.logAlpha.dataSync()[0]) };
  }

  /** Actions for `n` input rows: tanh of the mean (deterministic) or a sample drawn from `rng`. */
  act(inputs: Float32Array, n: number, deterministic: boolean, rng: Rng): Float32Array {
    const A = this.actionDim;
    const [mean, logStd] = tf.tidy(() => {
      const out = meanAndLogStd(mlpApply(this.policy, this.policySpec, tf.tensor2d(inputs, [n, this.inputDim])));
      return [out.mean.dataSync(), out.logStd.dataSync()];
    });
    const actions = new Float32Array(n * A);
    for (let i = 0; i < n * A; i++) {
      const u = deterministic ? mean[i] : mean[i] + Math.exp(logStd[i]) * normal(rng);
      actions[i] = Math.tanh(u);
    }
    return actions;
  }

  private sample(inputs: tf.Tensor): { action: tf.Tensor; logProb: tf.Tensor } {
    const { mean, logStd } = meanAndLogStd(mlpApply(this.policy, this.policySpec, inputs));
    return tanhGaussianSample(mean, logStd, this.session.randomNormal(mean.shape));
  }

  /** Both Q functions at (inputs, actions): [2, B]. */
  private qValues(vars: MlpVars, inputs: tf.Tensor, actions: tf.Tensor): tf.Tensor {
    return tf.squeeze(mlpApply(vars, this.qSpec, tf.concat([inputs, actions], 1)), [2]);
  }
}
