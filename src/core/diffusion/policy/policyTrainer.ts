import * as tf from '@tensorflow/tfjs';
import { type StageSpec, stopGradient, TrainingSession } from '../../train/loop';
import { createRng } from '../../util/random';
import type { Params } from '../layers';
import { initMlpDenoiser, mlpDenoiser, type MlpDenoiserShape } from '../mlpDenoiser';
import { type ClipX0, denoisingLoss, type EpsModel, randomTimesteps, sampleDdpm } from '../sampler';
import { makeSchedule, type NoiseSchedule, type ScheduleName } from '../schedule';
import type { PolicyDataset } from './dataset';
import { isMazeDataset, mazeRollouts, type RolloutResult } from './mazeDataset';
import { modeMetrics, type ModeMetrics } from './metrics';
import {
  critic, deterministicActor, gaussianActor, gaussianLogProb, initCritic, initDeterministicActor, initGaussianActor,
} from './networks';

export type PolicyKind = 'diffusion' | 'gaussian' | 'deterministic';
export type PolicyObjective = 'bc' | 'ql';

/**
 * Everything one policy arm trains with (defaults in `DEFAULT_POLICY_CONFIG`, the official toy's
 * settings where they exist). Objectives: `bc` behaviour cloning (diffusion: the denoising loss;
 * gaussian: maximum likelihood; deterministic: mean squared error) and `ql` = BC + a Q term:
 * Diffusion-QL (diffusion), the official toy's QL-MLE (gaussian) or TD3+BC (deterministic).
 */
export interface PolicyConfig {
  policy: PolicyKind;
  objective: PolicyObjective;
  diffusion: { steps: number; schedule: ScheduleName; clipX0: boolean; timeDim: number };
  /** Weight of the normalised Q term: Diffusion-QL's eta, TD3+BC's alpha. */
  eta: number;
  /** Optimiser steps in all (BC warm-up included). */
  steps: number;
  /** For `ql`: the first steps train the actor on BC alone (the critic trains throughout). */
  warmupSteps: number;
  batchSize: number;
  learningRate: number;
  hidden: number;
  /** TD backups (multi-step data only): discount and the Polyak rate of the target networks. */
  discount: number;
  tau: number;
  /** Diffusion EMA weights: decay applied every `every` steps from `start` (a plain copy before). */
  ema: { decay: number; start: number; every: number };
  /** Clip the critic's gradient norm (0: no clipping). */
  criticClipNorm: number;
  seed: number;
}

export const DEFAULT_POLICY_CONFIG: Omit<PolicyConfig, 'policy' | 'objective'> = {
  diffusion: { steps: 50, schedule: 'vp', clipX0: true, timeDim: 16 },
  eta: 2.5,
  steps: 10000,
  warmupSteps: 0,
  batchSize: 100,
  learningRate: 3e-4,
  hidden: 128,
  discount: 0.99,
  tau: 0.005,
  ema: { decay: 0.995, start: 1000, every: 5 },
  criticClipNorm: 0,
  seed: 0,
};

/**
 * TD3+BC's fixed TD3 settings (Fujimoto & Gu 2021, official `TD3_BC.py` / `main.py`): the actor
 * and the target copies are updated every second critic step; the target action is smoothed with
 * N(0, 0.2) noise clipped to +-0.5 (both times the action bound). Only the deterministic + ql arm.
 */
export const TD3_POLICY_FREQ = 2;
export const TD3_POLICY_NOISE = 0.2;
export const TD3_NOISE_CLIP = 0.5;

/** Sampled actions and how they sit on the modes. */
export interface PolicyEvaluation extends ModeMetrics {
  samples: Float32Array;
  /** Mean estimated Q (min of the twin heads) of the samples, when the arm has a critic. */
  meanQ?: number;
  /** Goal-reaching rollouts, for data from a maze. */
  rollout?: RolloutResult;
}

/** A diffusion policy's reverse chain for a few samples: `states[k]` after `timesteps[k]` (first: x_T). */
export interface DenoisingChain {
  /** -1 for x_T (pure noise), then T-1, ..., 0. */
  timesteps: number[];
  /** Per recorded state, `count * actionDim` values (row-major). */
  states: Float32Array[];
  count: number;
}

/**
 * Trains one policy arm on offline data with the shared `TrainingSession`: variable sets
 * `actor` (the denoiser for diffusion) with an `ema` (diffusion) or `actorTarget` copy, and, for
 * `ql`, `critic` (twin Q) with `criticTarget`. Each step updates the critic (if any), then the
 * actor, then the copies, as the official code does. Deterministic under `seed`; checkpoint and
 * resume go through the session (`session.save` / `session.load`).
 */
export class PolicyTrainer {
  readonly session: TrainingSession;
  readonly schedule?: NoiseSchedule;
  private readonly denoiserShape: MlpDenoiserShape;
  private readonly clip: ClipX0;
  private readonly dataStates: tf.Tensor2D;
  private readonly dataActions: tf.Tensor2D;
  private readonly dataRewards: tf.Tensor1D;
  private readonly dataNext?: { states: tf.Tensor2D; notDones: tf.Tensor1D };

  constructor(
    readonly config: PolicyConfig,
    readonly data: PolicyDataset,
  ) {
    const c = config;
    if (!(c.steps >= 1) || c.warmupSteps < 0 || (c.objective === 'ql' && c.warmupSteps >= c.steps)) {
      throw new RangeError(`training needs steps >= 1 and 0 <= warmupSteps < steps, got ${c.steps} and ${c.warmupSteps}`);
    }
    this.session = new TrainingSession({ seed: c.seed });
    const size = { stateDim: data.stateDim, actionDim: data.actionDim, hidden: c.hidden };
    this.denoiserShape = { dim: data.actionDim, condDim: data.stateDim, hidden: c.hidden, timeDim: c.diffusion.timeDim };
    this.clip = c.diffusion.clipX0 ? { lo: -data.maxAction, hi: data.maxAction } : false;
    const opt = { optimizer: { type: 'adam' as const, learningRate: c.learningRate } };
    const init =
      c.policy === 'diffusion' ? initMlpDenoiser(this.denoiserShape, c.seed) : c.policy === 'gaussian' ? initGaussianActor(size, c.seed) : initDeterministicActor(size, c.seed);
    this.session.addVariables('actor', init, opt);
    this.session.addCopy(c.policy === 'diffusion' ? 'ema' : 'actorTarget', 'actor');
    if (c.objective === 'ql') {
      this.session.addVariables('critic', initCritic(size, c.seed + 1), { ...opt, ...(c.criticClipNorm > 0 ? { clipNorm: c.criticClipNorm } : {}) });
      this.session.addCopy('criticTarget', 'critic');
    }
    if (c.policy === 'diffusion') this.schedule = makeSchedule(c.diffusion.schedule, c.diffusion.steps);
    this.dataStates = tf.keep(tf.tensor2d(data.states, [data.size, data.stateDim]));
    this.dataActions = tf.keep(tf.tensor2d(data.actions, [data.size, data.actionDim]));
    this.dataRewards = tf.keep(tf.tensor1d(data.rewards));
    if (data.nextStates && data.notDones) {
      this.dataNext = { states: tf.keep(tf.tensor2d(data.nextStates, [data.size, data.stateDim])), notDones: tf.keep(tf.tensor1d(data.notDones)) };
    }
  }

  /** The plan: `bc` alone, or for `ql` an optional BC warm-up then `ql`. */
  stages(): StageSpec[] {
    const c = this.config;
    const step = (withQ: boolean) => (ctx: { batch(n: number, b: number): Int32Array; globalStep: number }) => this.trainStep(ctx.batch(this.data.size, c.batchSize), withQ, ctx.globalStep);
    if (c.objective === 'bc') return [{ name: 'bc', steps: c.steps, step: step(false) }];
    const stages: StageSpec[] = [];
    if (c.warmupSteps > 0) stages.push({ name: 'bc-warmup', steps: c.warmupSteps, step: step(false) });
    stages.push({ name: 'ql', steps: c.steps - c.warmupSteps, step: step(true) });
    return stages;
  }

  private trainStep(rows: Int32Array, withQ: boolean, globalStep: number): void {
    const c = this.config;
    const s = this.session;
    const idx = tf.tensor1d(rows, 'int32');
    const state = tf.gather(this.dataStates, idx);
    const action = tf.gather(this.dataActions, idx);
    // TD3+BC (official TD3_BC.py): the actor and both target copies move every TD3_POLICY_FREQ-th
    // step only (delayed policy updates); the critic every step.
    const td3 = c.policy === 'deterministic' && c.objective === 'ql';
    const actorTurn = !td3 || (globalStep + 1) % TD3_POLICY_FREQ === 0;
    if (c.objective === 'ql') {
      const target = this.tdTarget(idx);
      s.step('critic', () => {
        const [q1, q2] = critic(s.variables('critic'), state, action);
        return tf.add(tf.mean(tf.square(tf.sub(q1, target))), tf.mean(tf.square(tf.sub(q2, target))));
      }, { name: 'critic' });
      if (actorTurn) s.updateCopy('criticTarget', c.tau);
    }
    if (!actorTurn) return;
    s.step('actor', () => this.actorLoss(state, action, withQ), { name: 'actor' });
    if (c.policy === 'diffusion') {
      const stepsDone = globalStep + 1;
      if (stepsDone % c.ema.every === 0) s.updateCopy('ema', stepsDone < c.ema.start ? 1 : 1 - c.ema.decay);
    } else {
      s.updateCopy('actorTarget', c.tau);
    }
  }

  /** r, or r + gamma (1 - done) min Q_target(s', a') with a' from the target/EMA policy. */
  private tdTarget(idx: tf.Tensor1D): tf.Tensor {
    const r = tf.gather(this.dataRewards, idx);
    if (!this.dataNext) return r;
    const next = tf.gather(this.dataNext.states, idx);
    const notDone = tf.gather(this.dataNext.notDones, idx);
    const copy = this.config.policy === 'diffusion' ? 'ema' : 'actorTarget';
    let nextAction = this.act(this.session.variables(copy), next, (shape) => this.session.randomNormal(shape), false);
    if (this.config.policy === 'deterministic') {
      // TD3's target policy smoothing: clipped Gaussian noise on the target action (scaled to the bound, as TD3+BC's main.py).
      const max = this.data.maxAction;
      const eps = tf.clipByValue(tf.mul(this.session.randomNormal(nextAction.shape), TD3_POLICY_NOISE * max), -TD3_NOISE_CLIP * max, TD3_NOISE_CLIP * max);
      nextAction = tf.clipByValue(tf.add(nextAction, eps), -max, max);
    }
    const [t1, t2] = critic(this.session.variables('criticTarget'), next, nextAction);
    return tf.add(r, tf.mul(tf.mul(this.config.discount, notDone), tf.minimum(t1, t2)));
  }

  private actorLoss(state: tf.Tensor, action: tf.Tensor, withQ: boolean): tf.Tensor | { loss: tf.Tensor; [k: string]: tf.Tensor } {
    const c = this.config;
    const s = this.session;
    const p = s.variables('actor');
    let bc: tf.Tensor;
    let sampled: tf.Tensor | undefined;
    switch (c.policy) {
      case 'diffusion': {
        const t = randomTimesteps(s.rng, state.shape[0], this.schedule!.steps);
        bc = denoisingLoss(this.schedule!, this.epsModel(p, state), action, t, s.randomNormal(action.shape));
        if (withQ) sampled = this.act(p, state, (shape) => s.randomNormal(shape), true);
        break;
      }
      case 'gaussian': {
        const { mean, logStd } = gaussianActor(p, state);
        bc = tf.neg(tf.mean(gaussianLogProb(mean, logStd, action)));
        if (withQ) sampled = tf.add(mean, tf.mul(tf.exp(logStd), s.randomNormal(mean.shape)));
        break;
      }
      case 'deterministic': {
        const a = deterministicActor(p, state, this.data.maxAction);
        bc = tf.mean(tf.square(tf.sub(a, action)));
        if (withQ) sampled = a;
        break;
      }
    }
    if (!withQ || !sampled) return { loss: bc, bc };
    const [q1, q2] = critic(s.variables('critic'), state, sampled);
    // Diffusion-QL and QL-MLE: -eta * Q_i / mean|Q_j|, (i, j) a coin flip; TD3+BC: Q1 only.
    const [q, norm] = c.policy === 'deterministic' || s.rng.next() > 0.5 ? [q1, q2] : [q2, q1];
    const scale = stopGradient(tf.mean(tf.abs(c.policy === 'deterministic' ? q1 : norm)));
    const qLoss = tf.neg(tf.div(tf.mean(q), scale));
    return { loss: tf.add(bc, tf.mul(c.eta, qLoss)), bc, qLoss };
  }

  private epsModel(p: Params, state: tf.Tensor): EpsModel {
    return (x, t) => mlpDenoiser(p, this.denoiserShape, x, t, state);
  }

  /**
   * Actions for a batch of states from actor weights `p`: the reverse chain (diffusion), a
   * Gaussian draw, or the deterministic output; clipped to the action bound.
   */
  private act(p: Params, state: tf.Tensor, noise: (shape: number[]) => tf.Tensor, differentiable: boolean, onStep?: (t: number, x: tf.Tensor) => void): tf.Tensor {
    const max = this.data.maxAction;
    const n = state.shape[0];
    let a: tf.Tensor;
    switch (this.config.policy) {
      case 'diffusion':
        a = sampleDdpm(this.schedule!, this.epsModel(p, state), noise([n, this.data.actionDim]), { noise, clipX0: this.clip, differentiable, onStep });
        break;
      case 'gaussian': {
        const { mean, logStd } = gaussianActor(p, state);
        a = tf.add(mean, tf.mul(tf.exp(logStd), noise(mean.shape)));
        break;
      }
      case 'deterministic':
        a = deterministicActor(p, state, max);
        break;
    }
    return tf.clipByValue(a, -max, max);
  }

  /** Weights sampled from: the EMA copy for diffusion, the trained actor otherwise. */
  private samplingWeights(): Params {
    return this.session.variables(this.config.policy === 'diffusion' ? 'ema' : 'actor');
  }

  /**
   * Samples `count` actions (states: the toy's fixed state, or data states drawn with `seed`) and
   * measures them against the modes; for maze data, also rolls the policy out (`mazeRollouts`).
   * The same seed gives the same noise, so evaluations during training are comparable. Outside
   * training steps.
   */
  evaluate(count: number, seed: number): PolicyEvaluation {
    const rng = createRng(seed);
    const noise = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', rng.int(2 ** 31 - 1));
    const rows = Int32Array.from({ length: count }, () => rng.int(this.data.size));
    const samples = tf.tidy(() => {
      const state = tf.gather(this.dataStates, tf.tensor1d(rows, 'int32'));
      return this.act(this.samplingWeights(), state, noise, false);
    });
    const flat = samples.dataSync() as Float32Array;
    let meanQ: number | undefined;
    if (this.config.objective === 'ql') {
      meanQ = tf.tidy(() => {
        const state = tf.gather(this.dataStates, tf.tensor1d(rows, 'int32'));
        const [q1, q2] = critic(this.session.variables('critic'), state, samples);
        return tf.mean(tf.minimum(q1, q2)).dataSync()[0];
      });
    }
    samples.dispose();
    const rollout = isMazeDataset(this.data) ? mazeRollouts(this.data, (s) => this.actionsFor(s, noise)) : undefined;
    return {
      samples: Float32Array.from(flat), ...modeMetrics(flat, this.data.actionDim, this.data.modes, this.data.modeRadius),
      ...(meanQ === undefined ? {} : { meanQ }), ...(rollout ? { rollout } : {}),
    };
  }

  /** The sampled policy's actions for states [n, stateDim] (flat): what a rollout calls at each move. */
  actionsFor(states: Float32Array, noise: (shape: number[]) => tf.Tensor): Float32Array {
    const n = states.length / this.data.stateDim;
    return tf.tidy(() => this.act(this.samplingWeights(), tf.tensor2d(states, [n, this.data.stateDim]), noise, false).dataSync() as Float32Array).slice();
  }

  /** The reverse chain of `count` samples (diffusion only): every intermediate state, for the panel's slider. */
  chain(count: number, seed: number): DenoisingChain | undefined {
    if (this.config.policy !== 'diffusion') return undefined;
    const rng = createRng(seed);
    const noise = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', rng.int(2 ** 31 - 1));
    const rows = Int32Array.from({ length: count }, () => rng.int(this.data.size));
    const timesteps: number[] = [];
    const states: Float32Array[] = [];
    const record = (t: number, x: tf.Tensor) => {
      timesteps.push(t);
      states.push(Float32Array.from(x.dataSync()));
    };
    tf.tidy(() => {
      const state = tf.gather(this.dataStates, tf.tensor1d(rows, 'int32'));
      const xT = noise([count, this.data.actionDim]);
      record(-1, xT);
      const out = sampleDdpm(this.schedule!, this.epsModel(this.samplingWeights(), state), xT, { noise, clipX0: this.clip, onStep: record });
      out.dispose();
    });
    return { timesteps, states, count };
  }

  dispose(): void {
    this.session.dispose();
    tf.dispose([this.dataStates, this.dataActions, this.dataRewards]);
    if (this.dataNext) tf.dispose([this.dataNext.states, this.dataNext.notDones]);
  }
}
