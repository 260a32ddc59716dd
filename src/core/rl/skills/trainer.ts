import * as tf from '@tensorflow/tfjs';
import { type CheckpointExtra, type StageSpec, TrainingSession } from '../../train/loop';
import { createRng, type Rng } from '../../util/random';
import { type Env, makeEnv } from '../env/envs';
import { cellCentre, distancesFrom } from '../env/maze';
import { normal } from '../nn/distributions';
import { ReplayBuffer, type TransitionBatch } from '../replayBuffer';
import { Sac } from '../sac';
import { coverageOf, type SkillsEvaluation } from './coverage';
import { SkillObjective } from './objective';
import type { SkillsSettings } from './settings';

export type { SkillsEvaluation } from './coverage';

/** Means of one epoch's step metrics. */
export type EpochMetrics = Record<string, number>;

/**
 * METRA or DIAYN on SAC, trained with a `TrainingSession`: each epoch collects
 * `trajectoriesPerEpoch` trajectories with freshly sampled skills into the replay buffer, then
 * runs `gradientStepsPerEpoch` updates (phi, dual, critic, actor, temperature), skipping the
 * updates while the buffer holds fewer than `minBuffer` transitions. One session step is one
 * update, so a stop request is honoured within one update. Everything random comes from the
 * session (checkpointed) or from the settings' seed (the fixed evaluation skills).
 */
export class SkillsTrainer {
  readonly session: TrainingSession;
  readonly env: Env;
  readonly sac: Sac;
  readonly objective: SkillObjective;
  readonly buffer: ReplayBuffer;
  readonly start: [number, number];
  readonly evalSkills: Float32Array;
  /** Evaluations so far (restored on resume). */
  history: SkillsEvaluation[] = [];
  private epochSums: Record<string, number> = {};
  private epochCounts: Record<string, number> = {};

  constructor(readonly settings: SkillsSettings) {
    this.session = new TrainingSession({ seed: settings.seed });
    this.env = makeEnv(settings.env);
    this.start = startPosition(this.env, settings.start);
    const { dim } = settings.skills;
    this.sac = new Sac(this.session, 2 + dim, this.actionDim, settings.sac);
    this.objective = new SkillObjective(this.session, settings, 2);
    this.buffer = new ReplayBuffer({ obs: 2, action: this.actionDim, skill: dim }, settings.sac.bufferSize);
    this.evalSkills = sampleSkills(settings.evaluation.skills, settings, createRng(settings.seed ^ 0x5eed), true);
  }

  get actionDim(): number {
    if (this.env.action.type !== 'continuous') throw new Error('skill discovery needs continuous actions (point2d or pointmaze)');
    return this.env.action.dim;
  }

  /** The training plan: one stage, one SAC update per step. */
  stages(onEpoch?: (epoch: number, metrics: EpochMetrics, evaluation?: SkillsEvaluation) => void): StageSpec[] {
    const s = this.settings;
    return [
      {
        name: 'train',
        epochs: s.epochs,
        stepsPerEpoch: s.gradientStepsPerEpoch,
        step: (ctx) => {
          if (ctx.stepInEpoch === 0) this.collect(this.session.rng);
          if (this.buffer.size >= s.sac.minBuffer) this.accumulate(this.update());
        },
        epochEnd: (ctx) => {
          const metrics: EpochMetrics = {};
          for (const k of Object.keys(this.epochSums)) metrics[k] = this.epochSums[k] / this.epochCounts[k];
          this.epochSums = {};
          this.epochCounts = {};
          const last = ctx.epoch === s.epochs - 1;
          let evaluation: SkillsEvaluation | undefined;
          if (last || (ctx.epoch + 1) % s.evaluation.everyEpochs === 0) {
            evaluation = this.evaluate(ctx.epoch + 1);
            this.history.push(evaluation);
            this.session.report('coverage', evaluation.coverage);
            this.session.report('finalDistance', evaluation.finalDistance);
          }
          onEpoch?.(ctx.epoch + 1, metrics, evaluation);
        },
      },
    ];
  }

  /** Replay buffer and evaluation history, for `session.save(dir, extra)`. */
  checkpointExtra(): CheckpointExtra {
    const { rows, json } = this.buffer.state();
    return { json: { buffer: json, history: this.history, epochSums: this.epochSums, epochCounts: this.epochCounts }, arrays: { replay: rows } };
  }

  restore(extra: CheckpointExtra): void {
    const json = extra.json as { buffer: Parameters<ReplayBuffer['restore']>[1]; history: SkillsEvaluation[]; epochSums: Record<string, number>; epochCounts: Record<string, number> };
    const rows = extra.arrays?.replay;
    if (!json?.buffer || !(rows instanceof Float32Array)) throw new Error('the checkpoint holds no replay buffer');
    this.buffer.restore(rows, json.buffer);
    this.history = json.history ?? [];
    this.epochSums = json.epochSums ?? {};
    this.epochCounts = json.epochCounts ?? {};
  }

  /** Deterministic trajectories of the fixed evaluation skills, and their coverage. */
  evaluate(epoch: number): SkillsEvaluation {
    const s = this.settings;
    const n = s.evaluation.skills;
    const trajectories = this.rollout(this.evalSkills, n, true, undefined);
    const ends = new Float32Array(n * 2);
    trajectories.forEach((t, i) => ends.set(this.features(t[t.length - 1][0], t[t.length - 1][1]), 2 * i));
    const phi = this.objective.embed(ends, n);
    const width = phi.length / n;
    const round = (v: number) => Math.round(v * 1000) / 1000 || 0; // never -0: JSON (checkpoints, events) has none
    return {
      epoch,
      ...coverageOf(trajectories),
      maxDistance: this.maxDistance(),
      skills: rows(this.evalSkills, s.skills.dim).map((r) => r.map(round)),
      trajectories: trajectories.map((t) => t.map(([x, y]) => [round(x), round(y)])),
      phi: rows(phi, width).map((r) => r.map(round)),
    };
  }

  dispose(): void {
    this.session.dispose();
  }

  /** Largest distance from the start reachable in `horizon` steps (Euclidean, box-bounded moves). */
  maxDistance(): number {
    const reach = this.settings.horizon * this.env.maxStep * Math.SQRT2;
    const maze = this.env.maze;
    if (!maze) return reach;
    // In a maze, no farther than the farthest reachable free cell's centre (plus half a cell).
    const dist = distancesFrom(maze, [Math.floor(this.start[1]), Math.floor(this.start[0])]);
    let far = 0;
    for (const [r, c] of maze.free) {
      if (dist[r * maze.cols + c] < 0) continue;
      const [x, y] = cellCentre([r, c]);
      far = Math.max(far, Math.hypot(x - this.start[0], y - this.start[1]) + 0.5);
    }
    return Math.min(reach, far);
  }

  private features(x: number, y: number): [number, number] {
    return this.env.normalize(x, y);
  }

  /** Runs `n` skills for `horizon` steps from the start; stochastic rollouts add to the buffer. */
  private rollout(skills: Float32Array, n: number, deterministic: boolean, rng: Rng | undefined): number[][][] {
    const { dim } = this.settings.skills;
    const A = this.actionDim;
    const pos = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) pos.set(this.start, 2 * i);
    const trajectories: number[][][] = Array.from({ length: n }, () => [[this.start[0], this.start[1]]]);
    const inputs = new Float32Array(n * (2 + dim));
    const next = new Float32Array(2);
    for (let t = 0; t < this.settings.horizon; t++) {
      for (let i = 0; i < n; i++) {
        inputs.set(this.features(pos[2 * i], pos[2 * i + 1]), i * (2 + dim));
        inputs.set(skills.subarray(i * dim, (i + 1) * dim), i * (2 + dim) + 2);
      }
      const actions = this.sac.act(inputs, n, deterministic, rng ?? this.session.rng);
      for (let i = 0; i < n; i++) {
        const a = actions.subarray(i * A, (i + 1) * A);
        this.env.step(pos.subarray(2 * i, 2 * i + 2), a, next);
        if (!deterministic) {
          const done = t === this.settings.horizon - 1;
          this.buffer.add(pos.subarray(2 * i, 2 * i + 2), a, next, skills.subarray(i * dim, (i + 1) * dim), done);
        }
        pos.set(next, 2 * i);
        trajectories[i].push([next[0], next[1]]);
      }
    }
    return trajectories;
  }

  private collect(rng: Rng): void {
    const n = this.settings.trajectoriesPerEpoch;
    this.rollout(sampleSkills(n, this.settings, rng, false), n, false, rng);
  }

  private update(): Record<string, number> {
    const s = this.settings;
    const b = this.buffer.sample(s.sac.batchSize, this.session.rng);
    const t = this.tensors(b);
    const phiMetrics = this.objective.update(t.obs, t.nextObs, t.skills);
    const rewards = this.objective.rewards(t.obs, t.nextObs, t.skills);
    const sacMetrics = this.sac.update({
      inputs: tf.concat([t.obs, t.skills], 1),
      actions: t.actions,
      nextInputs: tf.concat([t.nextObs, t.skills], 1),
      rewards,
      dones: t.dones,
    });
    const metrics: Record<string, number> = { ...phiMetrics, ...sacMetrics, reward: tf.mean(rewards).dataSync()[0] };
    // Values that are not a step's loss or metric go into the step's record too.
    for (const k of ['lambda', 'alpha', 'reward']) if (k in metrics) this.session.report(k, metrics[k]);
    return metrics;
  }

  private tensors(b: TransitionBatch): Record<'obs' | 'nextObs' | 'actions' | 'skills' | 'dones', tf.Tensor> {
    const n = b.size;
    const feat = (src: Float32Array) => {
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) out.set(this.features(src[2 * i], src[2 * i + 1]), 2 * i);
      return tf.tensor2d(out, [n, 2]);
    };
    return {
      obs: feat(b.obs),
      nextObs: feat(b.nextObs),
      actions: tf.tensor2d(b.actions, [n, this.actionDim]),
      skills: tf.tensor2d(b.skills, [n, this.settings.skills.dim]),
      dones: tf.tensor1d(b.dones),
    };
  }

  private accumulate(metrics: Record<string, number>): void {
    for (const [k, v] of Object.entries(metrics)) {
      this.epochSums[k] = (this.epochSums[k] ?? 0) + v;
      this.epochCounts[k] = (this.epochCounts[k] ?? 0) + 1;
    }
  }
}

/**
 * Skills to run: one-hot for discrete skills (uniform, or spread evenly for evaluation), else
 * standard normal vectors, scaled to unit length for METRA (the official `unit_length`).
 */
export function sampleSkills(n: number, s: SkillsSettings, rng: Rng, evenly: boolean): Float32Array {
  const { dim, discrete } = s.skills;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (discrete) {
      out[i * dim + (evenly ? i % dim : rng.int(dim))] = 1;
      continue;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = normal(rng);
      out[i * dim + d] = v;
      norm += v * v;
    }
    if (s.algo !== 'diayn') for (let d = 0; d < dim; d++) out[i * dim + d] /= Math.sqrt(norm) || 1;
  }
  return out;
}

function startPosition(env: Env, start: [number, number] | undefined): [number, number] {
  if (!env.maze) return [0, 0];
  const cell = start ?? env.maze.free[0];
  return cellCentre(cell);
}

function rows(data: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < data.length; i += width) out.push(Array.from({ length: width }, (_, j) => data[i + j]));
  return out;
}
