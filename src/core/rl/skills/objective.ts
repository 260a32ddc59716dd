import * as tf from '@tensorflow/tfjs';
import type { TrainingSession } from '../../train/loop';
import { gaussianLogProb, meanAndLogStd } from '../nn/distributions';
import { mlpApply, mlpInit, type MlpSpec, type MlpVars } from '../nn/mlp';
import type { SkillsSettings } from './settings';

/**
 * The skill-discovery objective on top of SAC: it trains phi and says what reward a transition
 * (s, z, s') earns.
 *
 * - METRA: reward (phi(s') - phi(s)) . z; phi maximises it subject to the temporal-distance
 *   constraint mean_d (phi(s') - phi(s))^2 <= 1 (the official code's form of ||.||^2 <= 1),
 *   through a dual variable lambda: phi's loss is -(reward + lambda * min(1 - dist, slack)) and
 *   log lambda's loss is log lambda * mean(min(1 - dist, slack)). Discrete skills use the centred
 *   one-hot (z - 1/K) K / (K - 1) in place of z.
 * - LSD (Park et al., ICLR 2022; the official METRA code with `dual_reg 0, spectral_normalization 1`):
 *   the same reward, phi spectrally normalised (1-Lipschitz in Euclidean state distance) and no
 *   dual term: phi's loss is -reward.
 * - DIAYN: phi is a discriminator q(z | s'); reward log q(z | s') - log p(z): log-softmax plus
 *   log K for discrete skills, a Gaussian log-density for continuous ones (the METRA
 *   repository's DIAYN setting).
 */
export class SkillObjective {
  readonly phiSpec: MlpSpec;
  private readonly phi: MlpVars;
  private readonly logLambda?: tf.Variable;

  constructor(
    private readonly session: TrainingSession,
    private readonly settings: SkillsSettings,
    readonly obsDim: number,
  ) {
    const { algo, skills, sac, phiHidden } = settings;
    const out = algo === 'diayn' && !skills.discrete ? 2 * skills.dim : skills.dim;
    const opt = { optimizer: { type: 'adam' as const, learningRate: sac.learningRate } };
    this.phiSpec = { sizes: [obsDim, ...phiHidden, out], spectralNorm: algo === 'lsd' };
    this.phi = session.addVariables('phi', mlpInit(this.phiSpec, session.nextSeed()), opt);
    if (algo === 'metra') {
      this.logLambda = session.addVariables('lambda', { logLambda: tf.scalar(Math.log(settings.metra.lambdaInit)) }, opt).logLambda;
    }
  }

  get lambda(): number | undefined {
    return this.logLambda ? Math.exp(this.logLambda.dataSync()[0]) : undefined;
  }

  /** One step of phi (and of lambda for METRA) on a batch of observation features. */
  update(obs: tf.Tensor, nextObs: tf.Tensor, skills: tf.Tensor): Record<string, number> {
    const s = this.session;
    if (this.settings.algo === 'diayn') {
      return s.step('phi', () => {
        const r = tf.mean(this.diaynReward(nextObs, skills));
        return { loss: tf.neg(r), discriminator: r };
      }, { name: 'phi' });
    }
    if (this.settings.algo === 'lsd') {
      return s.step('phi', () => {
        const r = tf.mean(this.metraTerms(obs, nextObs, skills).reward);
        return { loss: tf.neg(r), phiReward: r };
      }, { name: 'phi' });
    }
    const lambda = tf.exp(this.logLambda!);
    const phiStep = s.step('phi', () => {
      const { reward, penalty } = this.metraTerms(obs, nextObs, skills);
      return { loss: tf.neg(tf.mean(tf.add(reward, tf.mul(lambda, penalty)))), penalty: tf.mean(penalty), phiReward: tf.mean(reward) };
    }, { name: 'phi' });
    const dual = s.step('lambda', () => tf.mul(this.logLambda!, phiStep.penalty), { name: 'dual' });
    return { ...phiStep, ...dual, lambda: this.lambda! };
  }

  /** Rewards of transitions under the current phi (a constant for SAC): [B]. */
  rewards(obs: tf.Tensor, nextObs: tf.Tensor, skills: tf.Tensor): tf.Tensor {
    return tf.tidy(() => (this.settings.algo === 'diayn' ? this.diaynReward(nextObs, skills) : this.metraTerms(obs, nextObs, skills).reward));
  }

  /** phi(s) for display: METRA's representation, DIAYN's predicted skill (mean or logits). */
  embed(obs: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const out = mlpApply(this.phi, this.phiSpec, tf.tensor2d(obs, [n, this.obsDim]));
      return (this.settings.algo === 'diayn' && !this.settings.skills.discrete ? tf.split(out, 2, -1)[0] : out).dataSync() as Float32Array;
    });
  }

  private metraTerms(obs: tf.Tensor, nextObs: tf.Tensor, skills: tf.Tensor): { reward: tf.Tensor; penalty: tf.Tensor } {
    const { dim, discrete } = this.settings.skills;
    const both = mlpApply(this.phi, this.phiSpec, tf.concat([obs, nextObs], 0));
    const [phiS, phiNext] = tf.split(both, 2, 0);
    const delta = tf.sub(phiNext, phiS);
    const direction = discrete && dim > 1 ? tf.mul(tf.sub(skills, 1 / dim), dim / (dim - 1)) : skills;
    const reward = tf.sum(tf.mul(delta, direction), 1);
    const penalty = tf.minimum(tf.sub(1, tf.mean(tf.square(delta), 1)), this.settings.metra.slack);
    return { reward, penalty };
  }

  private diaynReward(nextObs: tf.Tensor, skills: tf.Tensor): tf.Tensor {
    const { dim, discrete } = this.settings.skills;
    const out = mlpApply(this.phi, this.phiSpec, nextObs);
    if (discrete) return tf.add(tf.sum(tf.mul(tf.logSoftmax(out), skills), 1), Math.log(dim));
    const { mean, logStd } = meanAndLogStd(out);
    return gaussianLogProb(skills, mean, logStd);
  }
}
