import type { DiagnosticSeverity } from './diagnostic';
import { checkTasks, type Maze, MazeError, parseMaze } from '../rl/env/maze';
import type { DiffusionExperiment, DiffusionPolicyExperiment } from './types';

/** A problem at a field (the shape `semantic.ts` turns into a diagnostic). */
export interface Problem {
  pointer: string;
  message: string;
  severity?: DiagnosticSeverity;
  at?: 'value' | 'key';
}

/** Which fields the schema accepted. */
type SchemaValid = (...pointers: string[]) => boolean;

/**
 * What the schema cannot say about the diffusion lab's kinds: fields that belong to another
 * choice (ignored: a warning that names the choice), settings that contradict each other, and
 * what a dataset file needs. Runs on the fields the schema accepted.
 */
export function diffusionProblems(exp: DiffusionPolicyExperiment | DiffusionExperiment, valid: SchemaValid): Problem[] {
  return exp.kind === 'diffusion-policy' ? policyProblems(exp, valid) : generationProblems(exp, valid);
}

function policyProblems(exp: DiffusionPolicyExperiment, valid: SchemaValid): Problem[] {
  const out: Problem[] = [];
  const ignored = (pointer: string, why: string): void => void out.push({ pointer, at: 'key', severity: 'warning', message: `ignored: ${why}` });
  const d = exp.dataset as Record<string, unknown> | undefined;
  if (d && valid('/dataset')) {
    if (d.file !== undefined) {
      if (d.modes === undefined) {
        out.push({ pointer: '/dataset', at: 'key', message: 'a dataset file needs "modes": the action points where the data concentrates (e.g. [[0.8, 0.8], [-0.8, 0.8]]), or how many there are (found by k-means)' });
      }
      for (const k of ['size', 'seed']) if (d[k] !== undefined) ignored(`/dataset/${k}`, `"${k}" applies to a toy dataset, this one is a file`);
    } else if (d.toy !== undefined) {
      for (const k of ['modes', 'maxAction']) if (d[k] !== undefined) ignored(`/dataset/${k}`, `"${k}" applies to a dataset file; the toy's modes and action bound are fixed`);
    } else if (d.maze !== undefined) {
      out.push(...mazeProblems(d as Extract<DiffusionPolicyExperiment['dataset'], { maze: unknown }>));
      for (const k of ['size', 'maxAction']) if (d[k] !== undefined) ignored(`/dataset/${k}`, `"${k}" does not apply to a maze dataset (its actions lie in [-1, 1])`);
    }
    if (d.maze === undefined) {
      for (const k of ['goal', 'trajectories', 'length', 'noise']) if (d[k] !== undefined) ignored(`/dataset/${k}`, `"${k}" applies to a maze dataset`);
    }
  }
  if (exp.objective === 'bc' && valid('/objective')) {
    if (exp.eta !== undefined) ignored('/eta', 'eta weights the Q term of objective "ql"; this experiment is "bc"');
    if (exp.training?.warmupSteps !== undefined) ignored('/training/warmupSteps', 'a BC warm-up is for objective "ql"');
    if (exp.training?.criticClipNorm !== undefined) ignored('/training/criticClipNorm', 'objective "bc" trains no critic');
  }
  if (exp.policy !== 'diffusion' && valid('/policy')) {
    if (exp.diffusion !== undefined) ignored('/diffusion', `policy "${exp.policy}" has no diffusion chain`);
    if (exp.training?.ema !== undefined) ignored('/training/ema', `EMA weights are sampled from for policy "diffusion" only`);
    if (exp.evaluation?.chainSamples !== undefined) ignored('/evaluation/chainSamples', `policy "${exp.policy}" has no denoising chain to store`);
  }
  const t = exp.training;
  if (exp.objective === 'ql' && t?.warmupSteps !== undefined && valid('/training')) {
    const steps = t.steps ?? 10000;
    if (t.warmupSteps >= steps) out.push({ pointer: '/training/warmupSteps', message: `the BC warm-up (${t.warmupSteps} steps) must be shorter than training (${steps} steps), or nothing is trained with the Q term` });
  }
  return out;
}

/** The maze's layout (rectangular, `#` and `.`, connected) and the goal on a free cell, at their fields. */
function mazeProblems(d: Extract<DiffusionPolicyExperiment['dataset'], { maze: unknown }>): Problem[] {
  if (d.goal === undefined) return [{ pointer: '/dataset', at: 'key', message: 'a maze dataset needs "goal": the goal cell [row, col] (reward 1 on entering it)' }];
  let maze: Maze;
  try {
    maze = parseMaze(d.maze.layout);
  } catch (e) {
    if (!(e instanceof MazeError)) throw e;
    return [{ pointer: `/dataset/maze/layout${e.at.length ? `/${e.at[0]}` : ''}`, message: e.message }];
  }
  try {
    checkTasks(maze, [{ start: d.goal, goal: d.goal }]);
  } catch (e) {
    if (!(e instanceof MazeError)) throw e;
    return [{ pointer: '/dataset/goal', message: e.message.replace(/^task 0: start/, 'the goal') }];
  }
  return [];
}

function generationProblems(exp: DiffusionExperiment, valid: SchemaValid): Problem[] {
  const out: Problem[] = [];
  const d = exp.data as Record<string, unknown> | undefined;
  if (d && valid('/data')) {
    if (d.format !== undefined) {
      if (d.train === undefined) out.push({ pointer: '/data', at: 'key', message: 'IDX data needs "train": {"images": ..., "labels": ...}' });
      for (const k of ['toy', 'size', 'seed']) {
        if (d[k] !== undefined) out.push({ pointer: `/data/${k}`, at: 'key', severity: 'warning', message: `ignored: "${k}" applies to the shapes toy, this data is IDX files` });
      }
    } else if (d.toy !== undefined) {
      for (const k of ['train', 'devSize', 'limit']) {
        if (d[k] !== undefined) out.push({ pointer: `/data/${k}`, at: 'key', severity: 'warning', message: `ignored: "${k}" applies to IDX files, this data is the shapes toy` });
      }
    }
    if (typeof d.limit === 'number' && typeof d.devSize === 'number' && d.devSize > d.limit / 6) {
      out.push({ pointer: '/data/devSize', message: `the held-out part (${d.devSize}) may be at most a sixth of the ${d.limit} images used` });
    }
  }
  const e = exp.evaluation;
  if (e && valid('/evaluation') && e.curveSamples !== undefined && e.samples !== undefined && e.curveSamples > e.samples) {
    out.push({ pointer: '/evaluation/curveSamples', message: `curve points use at most as many samples as the final evaluation (${e.samples})` });
  }
  return out;
}
