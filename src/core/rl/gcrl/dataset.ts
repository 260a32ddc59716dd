import type { ActionSpace, EnvSettings } from '../env/envs';

/**
 * An offline dataset of trajectories, flattened: state i of the whole dataset has a position
 * (`observations`), the action taken there (`actions`; nothing meaningful at a trajectory's last
 * state) and the index of its trajectory's last state (`trajectoryEnd`), which is what goal
 * sampling needs ("a future state of the same trajectory").
 */
export interface GcDataset {
  env: EnvSettings;
  action: ActionSpace;
  /** N x 2 positions. */
  observations: Float32Array;
  /** N x actionWidth: an index (discrete) or a vector in [-1, 1]^dim. */
  actions: Float32Array;
  /** For each state, the index of the last state of its trajectory. */
  trajectoryEnd: Int32Array;
  /** Index of each trajectory's first state. */
  starts: Int32Array;
}

export const DATASET_FORMAT = 'model-lab-rl-dataset/1';

/** A dataset file: `{"format", "env", "trajectories": [{"observations": [[x, y], ...], "actions": [...]}]}`. */
export interface DatasetFile {
  format: typeof DATASET_FORMAT;
  env: EnvSettings;
  trajectories: { observations: number[][]; actions: (number | number[])[] }[];
}

export function actionWidth(a: ActionSpace): number {
  return a.type === 'discrete' ? 1 : a.dim;
}

/** Number of states (not transitions). */
export function datasetSize(d: GcDataset): number {
  return d.trajectoryEnd.length;
}

/** Builds the flat form from trajectories (each `observations` one longer than its `actions`). */
export function fromTrajectories(env: EnvSettings, action: ActionSpace, trajectories: DatasetFile['trajectories']): GcDataset {
  const width = actionWidth(action);
  const n = trajectories.reduce((s, t) => s + t.observations.length, 0);
  const observations = new Float32Array(n * 2);
  const actions = new Float32Array(n * width);
  const trajectoryEnd = new Int32Array(n);
  const starts = new Int32Array(trajectories.length);
  let i = 0;
  trajectories.forEach((t, j) => {
    starts[j] = i;
    const end = i + t.observations.length - 1;
    t.observations.forEach((o, s) => {
      observations[2 * i] = o[0];
      observations[2 * i + 1] = o[1];
      const a = t.actions[s];
      if (a !== undefined) {
        if (typeof a === 'number') actions[i * width] = a;
        else for (let d = 0; d < width; d++) actions[i * width + d] = a[d];
      }
      trajectoryEnd[i] = end;
      i++;
    });
  });
  return { env, action, observations, actions, trajectoryEnd, starts };
}

/** The file form (positions rounded to 1e-4, actions to 1e-3: a smaller file, same behaviour). */
export function toDatasetFile(d: GcDataset): DatasetFile {
  const width = actionWidth(d.action);
  const round = (v: number, k: number) => Math.round(v * k) / k;
  const trajectories: DatasetFile['trajectories'] = [];
  for (let j = 0; j < d.starts.length; j++) {
    const [from, to] = [d.starts[j], d.trajectoryEnd[d.starts[j]]];
    const observations: number[][] = [];
    const actions: (number | number[])[] = [];
    for (let i = from; i <= to; i++) {
      observations.push([round(d.observations[2 * i], 1e4), round(d.observations[2 * i + 1], 1e4)]);
      if (i === to) continue;
      if (d.action.type === 'discrete') actions.push(d.actions[i]);
      else actions.push(Array.from(d.actions.subarray(i * width, (i + 1) * width), (v) => round(v, 1e3)));
    }
    trajectories.push({ observations, actions });
  }
  return { format: DATASET_FORMAT, env: d.env, trajectories };
}

/**
 * Reads a dataset file's JSON against the environment the experiment describes: the format,
 * the same environment, trajectories of at least two states, one action per move, actions
 * that fit the action space. Errors name the trajectory and field.
 */
export function parseDatasetFile(json: unknown, env: EnvSettings, action: ActionSpace): GcDataset {
  const f = json as Partial<DatasetFile>;
  if (typeof f !== 'object' || f === null || f.format !== DATASET_FORMAT) {
    throw new Error(`not a Model Lab RL dataset: "format" must be "${DATASET_FORMAT}"`);
  }
  if (JSON.stringify(f.env) !== JSON.stringify(env)) {
    throw new Error(`the dataset was recorded in another environment (${JSON.stringify(f.env)?.slice(0, 80)}) than the experiment's`);
  }
  if (!Array.isArray(f.trajectories) || f.trajectories.length === 0) throw new Error('"trajectories" must be a non-empty array');
  const width = actionWidth(action);
  f.trajectories.forEach((t, j) => {
    const where = `trajectories[${j}]`;
    if (!Array.isArray(t?.observations) || t.observations.length < 2) throw new Error(`${where}.observations needs at least two [x, y] positions`);
    if (!t.observations.every((o) => Array.isArray(o) && o.length === 2 && o.every(Number.isFinite))) throw new Error(`${where}.observations must be [x, y] pairs of numbers`);
    if (!Array.isArray(t.actions) || t.actions.length !== t.observations.length - 1) {
      throw new Error(`${where}.actions must have one action per move (${t.observations.length - 1}), got ${Array.isArray(t.actions) ? t.actions.length : 'none'}`);
    }
    for (const a of t.actions) {
      const ok = action.type === 'discrete'
        ? Number.isInteger(a) && (a as number) >= 0 && (a as number) < action.n
        : Array.isArray(a) && a.length === width && a.every((v) => Number.isFinite(v) && Math.abs(v) <= 1);
      if (!ok) throw new Error(`${where}.actions: ${JSON.stringify(a)} is not a valid action (${action.type === 'discrete' ? `an integer 0-${action.n - 1}` : `${width} numbers in [-1, 1]`})`);
    }
  });
  return fromTrajectories(env, action, f.trajectories);
}
