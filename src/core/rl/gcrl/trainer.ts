import * as tf from '@tensorflow/tfjs';
import { type CheckpointExtra, type StageSpec, TrainingSession } from '../../train/loop';
import { createRng, type Rng } from '../../util/random';
import { type Env, makeEnv } from '../env/envs';
import { gaussianLogProb } from '../nn/distributions';
import { mlpApply, mlpInit, type MlpSpec, type MlpVars, type SparseRows } from '../nn/mlp';
import { actionWidth, type GcDataset } from './dataset';
import { type PositionEncoder, positionEncoder } from './encoding';
import { evaluateAlgo, validationRng } from './evaluate';
import { type GoalBatch, sampleGoalBatch, transitionIndices } from './goalSampling';
import type { GcAlgo, OfflineSettings } from './settings';

/** A Gaussian head with a state-independent log standard deviation (HIQL's policies), or logits. */
interface PolicyNet {
  group: string;
  spec: MlpSpec;
  vars: MlpVars;
  logStd?: tf.Variable;
}

/** Expectile regression's asymmetric square: weight tau where `adv >= 0`, 1 - tau elsewhere. */
export function expectileLoss(adv: tf.Tensor, diff: tf.Tensor, expectile: number): tf.Tensor {
  const weight = tf.where(tf.greaterEqual(adv, 0), tf.fill(adv.shape, expectile), tf.fill(adv.shape, 1 - expectile));
  return tf.mul(weight, tf.square(diff));
}

/** Mean epoch metrics, per name. */
export type EpochMetrics = Record<string, number>;

/** Checkpoint selection: an algorithm's best validation success so far and the epoch (from 1) of the policies kept. */
export interface SelectedEpoch {
  successRate: number;
  epoch: number;
}

/**
 * Offline goal-conditioned RL on one value function (HIQL's recipe), with a `TrainingSession`:
 *
 * - V(s, g): two heads (an ensemble), trained by expectile regression toward
 *   r + gamma * mask * min of the target heads' V(s', g) (reward -1, 0 at the goal), the weight
 *   decided by the advantage under the target network's mean; target network by Polyak.
 * - HIQL: a high-level policy pi_h(s_{t+k} - s | s, g) (Gaussian) and a low-level policy
 *   pi_l(a | s, s_{t+k}), both by advantage-weighted regression with weights
 *   min(exp(beta * A), 100): A_h = V(s_{t+k}, g) - V(s, g), A_l = V(s', s_{t+k}) - V(s, s_{t+k}).
 * - GCIVL: one flat policy pi(a | s, g) by AWR with A = V(s', g) - V(s, g), on the same value.
 * - GCBC: pi(a | s, g) by behaviour cloning toward later states of the same trajectory.
 *
 * Each algorithm's policies are their own groups; all are stepped every step on one batch,
 * advantages from the value before that step's update (the official joint update). With
 * `highSteps` > 1, HIQL's high level then takes further steps on minibatches of its own generator.
 *
 * Checkpoint selection (`evaluation.validationTasks`): at each evaluation epoch every algorithm is
 * scored on the validation tasks and its policies are copied (`TrainingSession.addCopy`, a hard
 * copy, checkpointed) when they are the best so far; `withSelected` evaluates with those. Training
 * itself is the same with or without it.
 */
export class OfflineTrainer {
  readonly session: TrainingSession;
  readonly env: Env;
  readonly valueSpec: MlpSpec;
  private readonly value: MlpVars;
  private readonly policies = new Map<string, PolicyNet>();
  private readonly transitions: Int32Array;
  private readonly inputs: Float32Array;
  private readonly encoder: PositionEncoder;
  private epochSums: Record<string, number> = {};
  private epochCount = 0;
  /** Draws the high level's extra minibatches (`highSteps` > 1), apart from the session's generator. */
  private readonly highRng: Rng;
  /** Checkpoint selection, per algorithm (empty without validation tasks). */
  private selectedEpochs: Partial<Record<GcAlgo, SelectedEpoch>> = {};

  constructor(
    readonly settings: OfflineSettings,
    readonly dataset: GcDataset,
  ) {
    this.env = makeEnv(settings.env);
    if (!this.env.maze) throw new Error('offline goal-conditioned RL runs in a maze (gridmaze or pointmaze)');
    this.session = new TrainingSession({ seed: settings.seed });
    const opt = { optimizer: { type: 'adam' as const, learningRate: settings.learningRate } };
    this.encoder = positionEncoder(this.env, settings.encoding);
    this.valueSpec = { sizes: [2 * this.encoder.width, ...settings.valueHidden, 1], ensemble: 2, layerNorm: settings.layerNorm };
    this.value = this.session.addVariables('value', mlpInit(this.valueSpec, this.session.nextSeed()), opt);
    this.session.addCopy('valueTarget', 'value');
    for (const algo of settings.algos) {
      if (algo === 'hiql') {
        this.addPolicy('hiqlHigh', 2, true);
        this.addPolicy('hiqlLow', this.actionOut(), this.env.action.type === 'continuous');
      } else this.addPolicy(algo, this.actionOut(), this.env.action.type === 'continuous');
    }
    if (this.selecting) for (const group of this.policies.keys()) this.session.addCopy(bestCopy(group), group);
    this.highRng = createRng(hashSeed(settings.seed, 'hiqlHighBatches'));
    this.transitions = transitionIndices(dataset);
    if (this.transitions.length === 0) throw new Error('the dataset has no transitions');
    // Network inputs of every dataset state, computed once.
    const n = dataset.trajectoryEnd.length;
    this.inputs = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) this.inputs.set(this.env.normalize(dataset.observations[2 * i], dataset.observations[2 * i + 1]), 2 * i);
  }

  /** The plan: one stage of `epochs` x `stepsPerEpoch` steps; `onEpoch` after each epoch (hooks evaluate there). */
  stages(onEpoch?: (epoch: number, metrics: EpochMetrics) => void | Promise<void>): StageSpec[] {
    const s = this.settings;
    return [
      {
        name: 'train',
        epochs: s.epochs,
        stepsPerEpoch: s.stepsPerEpoch,
        step: () => {
          const m = this.update();
          for (const [k, v] of Object.entries(m)) this.epochSums[k] = (this.epochSums[k] ?? 0) + v;
          this.epochCount++;
        },
        epochEnd: async (ctx) => {
          const metrics: EpochMetrics = {};
          for (const [k, v] of Object.entries(this.epochSums)) metrics[k] = v / this.epochCount;
          this.epochSums = {};
          this.epochCount = 0;
          const epoch = ctx.epoch + 1;
          if (this.selecting && (epoch % s.evaluation.everyEpochs === 0 || epoch === s.epochs)) Object.assign(metrics, this.select(epoch));
          await onEpoch?.(epoch, metrics);
        },
      },
    ];
  }

  /** Whether the run selects its policies on validation tasks (`evaluation.validationTasks`). */
  get selecting(): boolean {
    return (this.settings.evaluation.validationTasks?.length ?? 0) > 0;
  }

  /** The epoch whose policies `withSelected` uses for `algo`, and their validation success (none before the first evaluation). */
  selectedEpoch(algo: GcAlgo): SelectedEpoch | undefined {
    return this.selectedEpochs[algo];
  }

  /**
   * Runs `fn` with `algo`'s selected policies in place (the best on the validation tasks so far),
   * then puts the current ones back exactly; without selection (or before it chose) `fn` sees the
   * current policies.
   */
  async withSelected<T>(algo: GcAlgo, fn: () => T | Promise<T>): Promise<T> {
    const groups = this.selectedEpochs[algo] ? this.groupsOf(algo) : [];
    const inCopies = async (i: number): Promise<T> => (i === groups.length ? fn() : this.session.withCopy(bestCopy(groups[i]), () => inCopies(i + 1)));
    return inCopies(0);
  }

  checkpointExtra(json: unknown): CheckpointExtra {
    return { json: { trainer: { epochSums: this.epochSums, epochCount: this.epochCount, highRng: this.highRng.state(), selected: this.selectedEpochs }, caller: json } };
  }

  /** Restores the trainer's part of `extra` and returns the caller's part. */
  restore(extra: CheckpointExtra): unknown {
    const j = extra.json as { trainer?: { epochSums: Record<string, number>; epochCount: number; highRng?: number[]; selected?: Partial<Record<GcAlgo, SelectedEpoch>> }; caller?: unknown } | undefined;
    this.epochSums = j?.trainer?.epochSums ?? {};
    this.epochCount = j?.trainer?.epochCount ?? 0;
    this.selectedEpochs = j?.trainer?.selected ?? {};
    if (j?.trainer?.highRng) this.highRng.restore(j.trainer.highRng);
    else if (this.settings.highSteps > 1 && this.policies.has('hiqlHigh')) {
      // Checkpoints from before `highSteps` never drew extra batches; resuming one with extra steps would not reproduce any run.
      throw new Error(`this checkpoint has no state for the high level's extra minibatches (it was written before training.highSteps existed, i.e. with highSteps 1); resume it with highSteps 1, not ${this.settings.highSteps}`);
    }
    return j?.caller;
  }

  dispose(): void {
    this.session.dispose();
  }

  /** V(s, g) (mean of the heads) for rows of normalised [s, g] inputs. */
  values(rows: Float32Array): Float32Array {
    const n = rows.length / 4;
    const out = new Float32Array(n);
    const chunk = 4096;
    for (let i = 0; i < n; i += chunk) {
      const m = Math.min(chunk, n - i);
      const v = tf.tidy(() => tf.mean(this.valueOf(this.value, this.encodeRows(rows.subarray(4 * i, 4 * (i + m)), m)), 0).dataSync());
      out.set(v, i);
    }
    return out;
  }

  /**
   * Deterministic policy outputs for `n` rows of normalised [s, g] inputs: action logits or
   * means (`policy` = an algorithm's flat policy, `hiqlLow`), or subgoal offsets (`hiqlHigh`).
   */
  policyOutputs(policy: string, rows: Float32Array, n: number): Float32Array {
    const p = this.policyNamed(policy);
    return tf.tidy(() => mlpApply(p.vars, p.spec, this.encodeRows(rows, n)).dataSync() as Float32Array);
  }

  hasPolicy(name: string): boolean {
    return this.policies.has(name);
  }

  /** Whether states i and j are the same for the goal test: the same cell in a grid maze. */
  sameState = (i: number, j: number): boolean =>
    this.env.type === 'gridmaze' &&
    this.dataset.observations[2 * i] === this.dataset.observations[2 * j] &&
    this.dataset.observations[2 * i + 1] === this.dataset.observations[2 * j + 1];

  /** Scores every algorithm on the validation tasks and keeps its policies if they are the best so far (ties: these, the later). */
  private select(epoch: number): EpochMetrics {
    const e = this.settings.evaluation;
    const metrics: EpochMetrics = {};
    for (const algo of this.settings.algos) {
      const successRate = evaluateAlgo(this, algo, { ...e, tasks: e.validationTasks! }, validationRng(this.settings.seed, epoch)).successRate;
      metrics[`${algo}Validation`] = successRate;
      const best = this.selectedEpochs[algo];
      if (best && successRate < best.successRate) continue;
      for (const group of this.groupsOf(algo)) this.session.updateCopy(bestCopy(group), 1);
      this.selectedEpochs[algo] = { successRate, epoch };
    }
    return metrics;
  }

  /** The session groups of an algorithm's policies. */
  private groupsOf(algo: GcAlgo): string[] {
    return algo === 'hiql' ? ['hiqlHigh', 'hiqlLow'] : [algo];
  }

  private actionOut(): number {
    return this.env.action.type === 'discrete' ? this.env.action.n : this.env.action.dim;
  }

  private addPolicy(group: string, out: number, gaussian: boolean): void {
    const s = this.settings;
    const opt = { optimizer: { type: 'adam' as const, learningRate: s.actorLearningRate } };
    const spec: MlpSpec = { sizes: [2 * this.encoder.width, ...s.actorHidden, out] };
    // Seeded from the run's seed and the group's name, not from the session's generator: the value
    // function then trains identically whichever policies ride along (one value, several runs).
    const init: Record<string, tf.Tensor> = mlpInit(spec, hashSeed(s.seed, group));
    if (gaussian) init.logStd = tf.zeros([out]);
    const vars = this.session.addVariables(group, init, opt);
    this.policies.set(group, { group, spec, vars, logStd: gaussian ? vars.logStd : undefined });
  }

  private policyNamed(name: string): PolicyNet {
    const p = this.policies.get(name);
    if (!p) throw new Error(`no policy '${name}' in this run (algorithms: ${this.settings.algos.join(', ')})`);
    return p;
  }

  /** Both heads: [2, B]. */
  private valueOf(vars: MlpVars, x: tf.Tensor | SparseRows): tf.Tensor {
    return tf.squeeze(mlpApply(vars, this.valueSpec, x), [2]);
  }

  /** Normalised positions of dataset states: [n, 2]. */
  private pointsOf(idx: Int32Array): tf.Tensor {
    const out = new Float32Array(idx.length * 2);
    idx.forEach((i, k) => out.set(this.inputs.subarray(2 * i, 2 * i + 2), 2 * k));
    return tf.tensor2d(out, [idx.length, 2]);
  }

  /** Network inputs [state a_k, goal b_k] of dataset states: [n, 2 * encoder width]. */
  private rowsOf(a: Int32Array, b: Int32Array): tf.Tensor | SparseRows {
    const n = a.length;
    const rows = new Float32Array(n * 4);
    for (let k = 0; k < n; k++) {
      rows[4 * k] = this.inputs[2 * a[k]];
      rows[4 * k + 1] = this.inputs[2 * a[k] + 1];
      rows[4 * k + 2] = this.inputs[2 * b[k]];
      rows[4 * k + 3] = this.inputs[2 * b[k] + 1];
    }
    return this.encodeRows(rows, n);
  }

  /** Rows of normalised [s, g] positions (n x 4) as network inputs ([n, 4], or sparse rows of 2 * encoder width). */
  private encodeRows(rows: Float32Array, n: number): tf.Tensor | SparseRows {
    if (this.settings.encoding === 'xy') return tf.tensor2d(rows.subarray(0, 4 * n), [n, 4]);
    const { width, nonzeros: k } = this.encoder;
    const indices = new Int32Array(n * 2 * k);
    const values = new Float32Array(n * 2 * k);
    for (let r = 0; r < n; r++) {
      this.encoder.encode(rows[4 * r], rows[4 * r + 1], indices, values, 2 * k * r, 0);
      this.encoder.encode(rows[4 * r + 2], rows[4 * r + 3], indices, values, 2 * k * r + k, width);
    }
    return { indices: tf.tensor2d(indices, [n, 2 * k], 'int32'), values: tf.tensor2d(values, [n, 2 * k]) };
  }

  private update(): Record<string, number> {
    const s = this.settings;
    const b = sampleGoalBatch(this.dataset, this.transitions, s.batchSize, s.sampling, this.session.rng, this.sameState);
    const next = b.idx.map((i) => i + 1);
    const metrics: Record<string, number> = {};

    // Advantages of every policy from the value before this step's update (constants here).
    const pairs: [string, Int32Array, Int32Array, Int32Array][] = [];
    if (this.policies.has('hiqlHigh')) {
      pairs.push(['hiqlHigh', b.idx, b.highTarget, b.highGoal]);
      pairs.push(['hiqlLow', b.idx, next, b.lowGoal]);
    }
    if (this.policies.has('gcivl')) pairs.push(['gcivl', b.idx, next, b.highGoal]);
    const advantages = new Map<string, tf.Tensor>();
    if (pairs.length) {
      const from = concat(pairs.map((p) => p[1]));
      const to = concat(pairs.map((p) => p[2]));
      const goals = concat(pairs.map((p) => p[3]));
      const adv = tf.split(this.advantage(from, to, goals), pairs.length, 0);
      pairs.forEach(([name], i) => advantages.set(name, adv[i]));
    }

    Object.assign(metrics, this.valueStep(b, next));
    this.session.updateCopy('valueTarget', s.tau);

    for (const [name, p] of this.policies) {
      const adv = advantages.get(name);
      const weights = adv ? this.awrWeights(adv) : undefined;
      if (name === 'hiqlHigh') Object.assign(metrics, this.highPolicyStep(p, b, weights!));
      else {
        const goals = name === 'hiqlLow' ? b.lowGoal : name === 'gcbc' ? b.trajectoryGoal : b.highGoal;
        Object.assign(metrics, this.policyStep(p, this.rowsOf(b.idx, goals), this.actionsOf(b.idx), weights));
      }
      if (adv) {
        metrics[`${name}Adv`] = tf.mean(adv).dataSync()[0];
        this.session.report(`${name}Adv`, metrics[`${name}Adv`]);
      }
    }
    const high = this.policies.get('hiqlHigh');
    for (let step = 2; high && step <= s.highSteps; step++) Object.assign(metrics, this.highStep(high, step));
    return metrics;
  }

  /**
   * One more AWR step of HIQL's high level on a fresh minibatch from `highRng`, advantages from
   * the value as it is now (after this update's value step); nothing else moves.
   */
  private highStep(p: PolicyNet, step: number): Record<string, number> {
    const s = this.settings;
    const b = sampleGoalBatch(this.dataset, this.transitions, s.batchSize, s.sampling, this.highRng, this.sameState);
    const weights = tf.tidy(() => this.awrWeights(this.advantage(b.idx, b.highTarget, b.highGoal)));
    return this.highPolicyStep(p, b, weights, `${p.group}${step}`);
  }

  /** V(to, g) - V(from, g) per row under the value (mean over its ensemble), rows in order. */
  private advantage(from: Int32Array, to: Int32Array, goals: Int32Array): tf.Tensor {
    const both = tf.mean(this.valueOf(this.value, this.rowsOf(concat([from, to]), concat([goals, goals]))), 0);
    const [v, nv] = tf.split(both, 2, 0);
    return tf.sub(nv, v);
  }

  /** AWR weights exp(temperature * A), capped at 100 as in the official code. */
  private awrWeights(adv: tf.Tensor): tf.Tensor {
    return tf.minimum(tf.exp(tf.mul(adv, this.settings.temperature)), 100);
  }

  /** HIQL's high level: AWR toward the subgoal `highTarget - idx` (as an offset) for goal `highGoal`. */
  private highPolicyStep(p: PolicyNet, b: GoalBatch, weights: tf.Tensor, name = p.group): Record<string, number> {
    const target = tf.sub(this.pointsOf(b.highTarget), this.pointsOf(b.idx));
    return this.policyStep(p, this.rowsOf(b.idx, b.highGoal), target, weights, name);
  }

  private valueStep(b: GoalBatch, next: Int32Array): Record<string, number> {
    const s = this.settings;
    const gamma = s.sampling.discount;
    const reward = tf.tensor1d(b.reward);
    const mask = tf.tensor1d(b.mask);
    const here = this.rowsOf(b.idx, b.goal);
    const { q, adv } = tf.tidy(() => {
      const target = this.valueOf(this.session.variables('valueTarget'), this.rowsOf(concat([next, b.idx]), concat([b.goal, b.goal])));
      const [nextV, nowV] = tf.split(target, 2, 1); // [2, B] each
      const bootstrap = tf.mul(gamma, mask);
      const qHeads = tf.add(reward, tf.mul(bootstrap, nextV)); // per head
      const qMin = tf.add(reward, tf.mul(bootstrap, tf.min(nextV, 0)));
      return { q: qHeads, adv: tf.sub(qMin, tf.mean(nowV, 0)) };
    });
    return this.session.step('value', () => {
      const v = this.valueOf(this.value, here);
      const loss = tf.sum(tf.mean(expectileLoss(adv, tf.sub(q, v), s.expectile), 1));
      return { loss, v: tf.mean(v) };
    }, { name: 'valueLoss' });
  }

  private actionsOf(idx: Int32Array): tf.Tensor {
    const w = actionWidth(this.env.action);
    const out = new Float32Array(idx.length * w);
    idx.forEach((i, k) => out.set(this.dataset.actions.subarray(i * w, (i + 1) * w), k * w));
    return tf.tensor2d(out, [idx.length, w]);
  }

  /** -mean(w * log pi(target | input)): AWR, or behaviour cloning without weights. */
  private policyStep(p: PolicyNet, input: tf.Tensor | SparseRows, target: tf.Tensor, weights?: tf.Tensor, name = p.group): Record<string, number> {
    return this.session.step(p.group, () => {
      const out = mlpApply(p.vars, p.spec, input);
      let logProb: tf.Tensor;
      if (p.logStd) {
        const logStd = tf.maximum(p.logStd, -5);
        logProb = gaussianLogProb(target, out, tf.broadcastTo(logStd, out.shape));
      } else {
        const n = p.spec.sizes[p.spec.sizes.length - 1];
        logProb = tf.sum(tf.mul(tf.logSoftmax(out), tf.oneHot(tf.cast(tf.squeeze(target, [1]), 'int32'), n)), 1);
      }
      const loss = tf.neg(tf.mean(weights ? tf.mul(weights, logProb) : logProb));
      return loss;
    }, { name });
  }
}

/** The session copy that holds a policy group's selected weights. */
function bestCopy(group: string): string {
  return `${group}Best`;
}

function hashSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % 2147483647;
}

function concat(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
