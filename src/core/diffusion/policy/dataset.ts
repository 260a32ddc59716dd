import { UserError } from '../../errors';
import { jsonObjectLines } from '../../data/jsonl';
import { createRng, type Rng } from '../../util/random';

/** A point of the action space where behaviour data concentrates, and the mean reward there. */
export interface ActionMode {
  action: number[];
  reward: number;
  label?: string;
}

/**
 * Offline data for a policy: transitions (state, action, reward[, next state, done]) as flat
 * row-major arrays, and the action modes the metrics count samples against.
 */
export interface PolicyDataset {
  size: number;
  stateDim: number;
  actionDim: number;
  states: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  /** Present for multi-step data (a TD backup); absent for bandit data such as the toy. */
  nextStates?: Float32Array;
  /** 1 - done per transition (with `nextStates`). */
  notDones?: Float32Array;
  /** Actions are in [-maxAction, maxAction] (sampled actions are clipped there). */
  maxAction: number;
  modes: ActionMode[];
  /** A sample within this distance of a mode counts as on that mode. */
  modeRadius: number;
}

export const FOUR_CORNERS_SIZE = 10000;

/**
 * Diffusion-QL's 2-D bandit toy (official `run_toy_bc.py` / `run_toy_ql.py`): equal numbers of
 * actions from four Gaussians at (+-0.8, +-0.8), std 0.05, clipped to [-1, 1]; the state is
 * fixed (zeros, 2-D); rewards N(3, 0.5) top-left, N(0, 0.5) bottom-left, N(1.5, 0.5) top-right,
 * N(5, 0.5) bottom-right. The best action is the bottom-right mode.
 */
export function fourCorners(opts: { size?: number; seed?: number; modeRadius?: number } = {}): PolicyDataset {
  const size = opts.size ?? FOUR_CORNERS_SIZE;
  if (!Number.isInteger(size) || size < 4 || size % 4 !== 0) throw new RangeError(`four-corners size must be a multiple of 4, got ${size}`);
  const rng = createRng(opts.seed ?? 0);
  const modes: ActionMode[] = [
    { action: [-0.8, 0.8], reward: 3, label: 'top-left' },
    { action: [-0.8, -0.8], reward: 0, label: 'bottom-left' },
    { action: [0.8, 0.8], reward: 1.5, label: 'top-right' },
    { action: [0.8, -0.8], reward: 5, label: 'bottom-right' },
  ];
  const each = size / 4;
  const actions = new Float32Array(size * 2);
  const rewards = new Float32Array(size);
  for (let m = 0; m < 4; m++) {
    for (let i = 0; i < each; i++) {
      const row = m * each + i;
      for (let d = 0; d < 2; d++) actions[row * 2 + d] = clamp(modes[m].action[d] + 0.05 * gaussian(rng), -1, 1);
      rewards[row] = modes[m].reward + 0.5 * gaussian(rng);
    }
  }
  return {
    size, stateDim: 2, actionDim: 2, states: new Float32Array(size * 2), actions, rewards,
    maxAction: 1, modes, modeRadius: opts.modeRadius ?? 0.2,
  };
}

/**
 * A JSON Lines file of transitions, one object per line:
 * `{"state": [..], "action": [..], "reward": r}` plus, for multi-step data, `"nextState": [..]`
 * and `"done": bool` (on every line or none). Modes: the points given, or `k` found by k-means
 * on the actions; each mode's reward is the mean reward of the data within `modeRadius` of it.
 * Problems are `UserError`s naming the file and line.
 */
export function parseTransitions(
  content: string,
  file: string,
  opts: { modes?: number[][] | number; modeRadius?: number; maxAction?: number; seed?: number; pointer?: string },
): PolicyDataset {
  const pointer = opts.pointer ?? '/dataset/file';
  const fail = (message: string, line?: number): never => {
    throw new UserError(message, pointer, file, line, line === undefined ? undefined : 1);
  };
  const states: number[] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  const nextStates: number[] = [];
  const notDones: number[] = [];
  let stateDim = -1;
  let actionDim = -1;
  let multiStep: boolean | undefined;
  let firstLine = 0;
  for (const { record: r, line } of jsonObjectLines(content, fail, '{"state": [...], "action": [...], "reward": number}')) {
    const vec = (key: string, dim: number): number[] => {
      const v = r[key];
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        return fail(v === undefined ? `missing "${key}"` : `"${key}" must be a non-empty array of finite numbers`, line);
      }
      if (dim >= 0 && v.length !== dim) fail(`"${key}" has ${v.length} values, line ${firstLine} has ${dim}`, line);
      return v as number[];
    };
    if (firstLine === 0) firstLine = line;
    const s = vec('state', stateDim);
    const a = vec('action', actionDim);
    stateDim = s.length;
    actionDim = a.length;
    if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) fail(r.reward === undefined ? 'missing "reward"' : '"reward" must be a finite number', line);
    const hasNext = r.nextState !== undefined;
    if (multiStep === undefined) multiStep = hasNext;
    else if (multiStep !== hasNext) fail(`"nextState" must be on every line or on none (line ${firstLine} ${multiStep ? 'has' : 'has no'} one)`, line);
    states.push(...s);
    actions.push(...a);
    rewards.push(r.reward as number);
    if (hasNext) {
      nextStates.push(...vec('nextState', stateDim));
      if (r.done !== undefined && typeof r.done !== 'boolean') fail('"done" must be true or false', line);
      notDones.push(r.done === true ? 0 : 1);
    }
  }
  if (rewards.length === 0) fail('no transitions: the file has no JSON lines');
  const size = rewards.length;
  const actionArr = Float32Array.from(actions);
  const maxAction = opts.maxAction ?? actionArr.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
  const rewardArr = Float32Array.from(rewards);
  const radius = opts.modeRadius ?? 0.2;
  if (opts.modes === undefined) {
    throw new UserError('a dataset file needs "modes": the action points where the data concentrates, or how many there are (found by k-means)', pointer.replace(/\/file$/, ''), file);
  }
  const centres = typeof opts.modes === 'number' ? kMeans(actionArr, actionDim, opts.modes, opts.seed ?? 0) : opts.modes;
  for (const [i, c] of centres.entries()) {
    if (c.length !== actionDim) throw new UserError(`mode ${i} has ${c.length} values; the actions have ${actionDim}`, pointer.replace(/\/file$/, `/modes/${i}`));
  }
  return {
    size, stateDim, actionDim, states: Float32Array.from(states), actions: actionArr, rewards: rewardArr,
    ...(multiStep ? { nextStates: Float32Array.from(nextStates), notDones: Float32Array.from(notDones) } : {}),
    maxAction, modeRadius: radius,
    modes: centres.map((c) => ({ action: c, reward: meanRewardNear(actionArr, rewardArr, actionDim, c, radius) })),
  };
}

/** Mean reward of the data within `radius` of `centre` (0 when none is). */
export function meanRewardNear(actions: Float32Array, rewards: Float32Array, dim: number, centre: number[], radius: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < rewards.length; i++) {
    if (distance(actions, i * dim, centre) <= radius) {
      sum += rewards[i];
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** k-means++ (seeded) then Lloyd iterations: k centres of the rows of `x` (dim columns). */
export function kMeans(x: Float32Array, dim: number, k: number, seed: number, iterations = 50): number[][] {
  const n = x.length / dim;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k-means needs 1 <= k <= ${n}, got ${k}`);
  const rng = createRng(seed);
  const first = rng.int(n);
  const centres: number[][] = [Array.from(x.subarray(first * dim, first * dim + dim))];
  const d2 = new Float64Array(n);
  while (centres.length < k) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(...centres.map((c) => distance(x, i * dim, c) ** 2));
      total += d2[i];
    }
    let pick = rng.next() * total;
    let chosen = n - 1;
    for (let i = 0; i < n; i++) {
      pick -= d2[i];
      if (pick <= 0) {
        chosen = i;
        break;
      }
    }
    centres.push(Array.from(x.subarray(chosen * dim, chosen * dim + dim)));
  }
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = distance(x, i * dim, centres[c]);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assign[i] !== best || it === 0) changed = true;
      assign[i] = best;
    }
    const sums = centres.map(() => new Float64Array(dim));
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      counts[assign[i]]++;
      for (let d = 0; d < dim; d++) sums[assign[i]][d] += x[i * dim + d];
    }
    for (let c = 0; c < k; c++) if (counts[c] > 0) centres[c] = Array.from(sums[c], (s) => s / counts[c]);
    if (!changed) break;
  }
  return centres;
}

/** Euclidean distance between row `offset` of a flat array and a point. */
export function distance(x: ArrayLike<number>, offset: number, p: readonly number[]): number {
  let s = 0;
  for (let d = 0; d < p.length; d++) s += (x[offset + d] - p[d]) ** 2;
  return Math.sqrt(s);
}

/** A standard normal draw (Box-Muller) from a seeded generator. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
