import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { getNodeValue, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { isUserError, UserError } from '../errors';
import { diagnosticAt, LineMap, type ExperimentDiagnostic } from '../experiment/diagnostic';
import { rangeOf } from '../experiment/jsonLocation';
import { isUncPath } from '../util/uncPath';
import { buildGridworld, GridLayout, GridworldSpec } from './gridworld';
import { createPacer } from '../util/steps';
import type { ComparisonSize } from './estimate';
import { createMdp, MdpErrorContext, Reward, TabularMdp, userErrorAt, validateReward } from './mdp';

/**
 * `*.rewards.json` (JSON with comments): an MDP and named rewards to compare.
 *
 * ```jsonc
 * {
 *   "discount": 0.9,
 *   "transitions": [[[0.5, 0.5], ...], ...],      // [S][A][S'], or instead:
 *   "gridworld": {"width": 4, "height": 3, "walls": [[1, 1]], "slip": 0.1,
 *                 "goal": [[3, 0, 1]], "penalty": [[3, 1, -1]], "actions": 4},
 *   "rewards": {
 *     "full": [[[...]]],                            // R[S][A][S']
 *     "perState": {"state": [...]},                 // R(s,a,s') = r[s] (gridworld: also [height][width])
 *     "perStateAction": {"stateAction": [[...]]},   // R(s,a,s') = r[s][a]
 *     "variant": {"of": "full", "scale": 2, "shift": 1, "potential": [...]},
 *                                                   // scale*R + shift + gamma*Phi(s') - Phi(s), R defined above
 *     "learned": {"model": "reward-model/model.json"} // TF.js model, see learnedReward.ts
 *   }
 * }
 * ```
 * A gridworld (see gridworld.ts) adds a reward named "task" from its goal/penalty cells.
 * Errors carry the JSON pointer and line:column of the offending field.
 */
export interface RewardsFileContent {
  mdp: TabularMdp;
  names: string[];
  rewards: Reward[];
  /** Present for gridworld files: the cell of each state. */
  grid?: GridLayout;
  /** The dimensions the size estimate (`estimate.ts`) needs. */
  size: ComparisonSize;
}

export interface ParseRewardsOptions {
  /** Shown in errors and used to resolve model paths (relative to the file's folder). */
  file?: string;
  /** Folder for relative model paths; defaults to the file's folder or the current directory. */
  baseDir?: string;
  /**
   * What to do with the model files learned rewards name: `load` them (default); `check` that
   * each exists (when the rewards file's folder is known) and score it 0 everywhere, without
   * TensorFlow.js (the editor); `refuse` them, touching no file (a workspace that is not trusted:
   * its files may name any path, and a network path hands out the user's credentials).
   */
  models?: 'load' | 'check' | 'refuse';
  /**
   * Called with the file's dimensions before any array is built: throw to refuse a comparison
   * too large to compute (see `estimate.ts`).
   */
  checkSize?: (size: ComparisonSize) => void;
  /** Loading stops between rewards once aborted (a large file builds an S*A*S array per reward). */
  signal?: AbortSignal;
  /**
   * Loads a learned reward's model in `load` mode: `loadRewardModel` (`learnedReward.ts`, which
   * brings TensorFlow.js), given by the callers that load models (the runner's rewards job, the
   * CLI). This module never imports it: the editor checks files with it (`checkRewardsText`), and
   * the extension host's bundle must stay free of TensorFlow.js (a build check).
   */
  loadModel?: (modelFile: string, mdp: TabularMdp) => Promise<Reward>;
}

const TOP_KEYS = ['$schema', 'description', 'discount', 'transitions', 'gridworld', 'rewards'];
const GRID_KEYS = ['width', 'height', 'walls', 'slip', 'goal', 'penalty', 'actions'];

export async function loadRewardsFile(file: string, opts: Omit<ParseRewardsOptions, 'file'> = {}): Promise<RewardsFileContent> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(err.code === 'ENOENT' ? 'file not found' : `cannot read file: ${err.message}`, undefined, file);
  }
  return parseRewardsText(text, { ...opts, file });
}

export async function parseRewardsText(text: string, opts: ParseRewardsOptions = {}): Promise<RewardsFileContent> {
  const { file } = opts;
  const lines = new LineMap(text);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0 || !tree) {
    const e = errors[0];
    const pos = lines.position(e?.offset ?? 0);
    throw new UserError(`invalid JSON: ${e ? printParseErrorCode(e.error) : 'empty file'}`, undefined, file, pos.line, pos.column);
  }
  const ctx: MdpErrorContext = {
    file,
    locate: (pointer) => lines.position(rangeOf(tree, pointer, 'value').start),
  };
  const fail = (message: string, pointer: string) => userErrorAt(message, pointer, ctx);
  const doc = getNodeValue(tree) as unknown;
  if (!isObject(doc)) throw fail('a rewards file must be a JSON object', '');
  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.includes(key)) throw fail(`unknown field "${key}" (expected ${TOP_KEYS.slice(2).join(', ')})`, `/${escape(key)}`);
  }
  if (typeof doc.discount !== 'number') throw fail('"discount" is required and must be a number in [0, 1)', '/discount');
  const hasT = doc.transitions !== undefined;
  const hasG = doc.gridworld !== undefined;
  if (hasT === hasG) throw fail('give exactly one of "transitions" ([S][A][S\'] probabilities) or "gridworld"', hasT ? '/gridworld' : '');
  const peeked = peekSize(doc, text.length);
  if (peeked) opts.checkSize?.(peeked);
  const pace = createPacer(opts.signal);

  let mdp: TabularMdp;
  let grid: GridLayout | undefined;
  const names: string[] = [];
  const rewards: Reward[] = [];
  if (hasT) {
    const { values, dims } = readNumberArray(doc.transitions, 3, '/transitions', fail);
    if (dims[0] !== dims[2]) throw fail(`transitions must have shape [S][A][S] with the same S twice, got [${dims.join('][')}]`, '/transitions');
    mdp = createMdp(dims[0], dims[1], doc.discount, values, ctx);
  } else {
    const g = doc.gridworld;
    if (!isObject(g)) throw fail('"gridworld" must be an object with width, height, ...', '/gridworld');
    for (const key of Object.keys(g)) {
      if (!GRID_KEYS.includes(key)) throw fail(`unknown gridworld field "${key}" (expected ${GRID_KEYS.join(', ')})`, `/gridworld/${escape(key)}`);
    }
    if (g.actions !== undefined && g.actions !== 4) throw fail('only 4 actions (up, down, left, right) are supported', '/gridworld/actions');
    for (const key of ['walls', 'goal', 'penalty'] as const) {
      if (g[key] !== undefined && !Array.isArray(g[key])) throw fail(`"${key}" must be a list of cells`, `/gridworld/${key}`);
    }
    if (doc.discount < 0 || doc.discount >= 1) throw fail(`discount must be in [0, 1), got ${doc.discount}`, '/discount');
    const built = buildGridworld(g as unknown as GridworldSpec, doc.discount, { ...ctx, transitionsPointer: '/gridworld' });
    mdp = built.mdp;
    grid = built.layout;
    if (built.task) {
      names.push('task');
      rewards.push(built.task);
    }
  }

  if (doc.rewards !== undefined && !isObject(doc.rewards)) throw fail('"rewards" must be an object mapping names to rewards', '/rewards');
  const specs = (doc.rewards ?? {}) as Record<string, unknown>;
  const baseDir = opts.baseDir ?? (file ? path.dirname(path.resolve(file)) : process.cwd());
  for (const [name, spec] of Object.entries(specs)) {
    const pointer = `/rewards/${escape(name)}`;
    if (names.includes(name)) throw fail(`reward name "${name}" is used twice${grid && name === 'task' ? ' (the gridworld defines "task" from its goal/penalty cells)' : ''}`, pointer);
    await pace();
    const r = await readReward(spec, pointer, mdp, grid, names, rewards, { baseDir, mode: opts.models ?? 'load', checkFiles: file !== undefined || opts.baseDir !== undefined, load: opts.loadModel }, fail);
    validateReward(mdp, r, name, pointer, ctx);
    names.push(name);
    rewards.push(r);
  }
  if (rewards.length === 0) throw fail('no rewards: add at least one under "rewards"', doc.rewards === undefined ? '' : '/rewards');
  const S = mdp.nStates;
  // (A file whose dimensions could not be read cannot have built: the fallback is for the types.)
  const size = peeked ?? { states: S, actions: mdp.nActions, rewards: rewards.length, learned: 0, nonZeros: S * mdp.nActions * S, bandwidth: S, textLength: text.length };
  return { mdp, names, rewards, grid, size };
}

/**
 * The dimensions of the comparison a file asks for, read from its JSON values without building
 * anything: S and A from the transitions' shape (with their non-zeros and band) or the
 * gridworld's cells, and the rewards. Undefined when the shape is not readable (the builder then
 * reports the problem at its field).
 */
function peekSize(doc: Record<string, unknown>, textLength: number): ComparisonSize | undefined {
  const specs = isObject(doc.rewards) ? Object.values(doc.rewards) : [];
  const learned = specs.filter((s) => isObject(s) && s.model !== undefined).length;
  if (doc.transitions !== undefined) {
    const t = doc.transitions;
    if (!Array.isArray(t) || !Array.isArray(t[0]) || t[0].length === 0) return undefined;
    const S = t.length;
    const A = t[0].length;
    let nonZeros = 0;
    let bandwidth = 0;
    for (let s = 0; s < S; s++) {
      const row = t[s];
      if (!Array.isArray(row)) return undefined;
      for (const next of row) {
        if (!Array.isArray(next)) return undefined;
        for (let n = 0; n < next.length; n++) {
          if (typeof next[n] === 'number' && next[n] !== 0) {
            nonZeros++;
            bandwidth = Math.max(bandwidth, Math.abs(s - n));
          }
        }
      }
    }
    return { states: S, actions: A, rewards: specs.length, learned, nonZeros, bandwidth, textLength };
  }
  const g = doc.gridworld;
  if (!isObject(g) || !Number.isSafeInteger(g.width) || !Number.isSafeInteger(g.height)) return undefined;
  const W = g.width as number;
  const H = g.height as number;
  if (W < 1 || H < 1) return undefined;
  const walls = new Set<number>();
  for (const c of Array.isArray(g.walls) ? g.walls : []) {
    if (Array.isArray(c) && Number.isInteger(c[0]) && Number.isInteger(c[1]) && c[0] >= 0 && c[0] < W && c[1] >= 0 && c[1] < H) walls.add(c[1] * W + c[0]);
  }
  const states = Math.max(1, W * H - walls.size);
  const task = [g.goal, g.penalty].some((cells) => Array.isArray(cells) && cells.length > 0) ? 1 : 0;
  // Each move lands on one of three cells (intended, two slips); vertical moves span a row.
  return { states, actions: 4, rewards: specs.length + task, learned, nonZeros: states * 4 * 3, bandwidth: W, textLength };
}

type Fail = (message: string, pointer: string) => UserError;

interface ModelOptions {
  baseDir: string;
  mode: NonNullable<ParseRewardsOptions['models']>;
  /** Whether model paths can be resolved (the rewards file has a folder). */
  checkFiles: boolean;
  load: ParseRewardsOptions['loadModel'];
}

async function readReward(spec: unknown, pointer: string, mdp: TabularMdp, grid: GridLayout | undefined, names: string[], rewards: Reward[], models: ModelOptions, fail: Fail): Promise<Reward> {
  const S = mdp.nStates;
  const A = mdp.nActions;
  if (Array.isArray(spec)) {
    const { values, dims } = readNumberArray(spec, 3, pointer, fail);
    if (dims[0] !== S || dims[1] !== A || dims[2] !== S) throw fail(`reward must have shape [${S}][${A}][${S}], got [${dims.join('][')}]`, pointer);
    return values;
  }
  if (!isObject(spec)) throw fail('a reward is an [S][A][S] array or an object with "state", "stateAction", "of" or "model"', pointer);
  const kinds = ['state', 'stateAction', 'of', 'model'].filter((k) => spec[k] !== undefined);
  if (kinds.length !== 1) throw fail(`a reward object needs exactly one of "state", "stateAction", "of", "model"${kinds.length ? ` (found ${kinds.join(', ')})` : ''}`, pointer);
  const allowed: Record<string, string[]> = { state: ['state'], stateAction: ['stateAction'], of: ['of', 'scale', 'shift', 'potential'], model: ['model'] };
  for (const key of Object.keys(spec)) {
    if (!allowed[kinds[0]].includes(key)) throw fail(`unexpected field "${key}" in a "${kinds[0]}" reward`, `${pointer}/${escape(key)}`);
  }
  const out = new Float64Array(S * A * S);
  switch (kinds[0]) {
    case 'state': {
      const r = readStateVector(spec.state, `${pointer}/state`, S, grid, fail);
      for (let s = 0; s < S; s++) out.fill(r[s], s * A * S, (s + 1) * A * S);
      return out;
    }
    case 'stateAction': {
      const { values, dims } = readNumberArray(spec.stateAction, 2, `${pointer}/stateAction`, fail);
      if (dims[0] !== S || dims[1] !== A) throw fail(`stateAction must have shape [${S}][${A}], got [${dims.join('][')}]`, `${pointer}/stateAction`);
      for (let sa = 0; sa < S * A; sa++) out.fill(values[sa], sa * S, (sa + 1) * S);
      return out;
    }
    case 'of': {
      const base = spec.of;
      const k = typeof base === 'string' ? names.indexOf(base) : -1;
      if (k < 0) throw fail(`"of" must name a reward defined above this one${names.length ? ` (${names.join(', ')})` : ''}`, `${pointer}/of`);
      const scale = readScalar(spec.scale, 1, `${pointer}/scale`, fail);
      const shift = readScalar(spec.shift, 0, `${pointer}/shift`, fail);
      const phi = spec.potential === undefined ? new Float64Array(S) : readStateVector(spec.potential, `${pointer}/potential`, S, grid, fail);
      const src = rewards[k];
      const g = mdp.discount;
      for (let s = 0; s < S; s++) {
        for (let a = 0; a < A; a++) {
          const b = (s * A + a) * S;
          for (let n = 0; n < S; n++) out[b + n] = scale * src[b + n] + shift + g * phi[n] - phi[s];
        }
      }
      return out;
    }
    default: {
      if (typeof spec.model !== 'string' || spec.model === '') throw fail('"model" must be the path of a TensorFlow.js model.json', `${pointer}/model`);
      if (models.mode === 'refuse') throw fail('a learned reward\'s model is not loaded in Restricted Mode: Model Lab reads no file that an untrusted workspace names', `${pointer}/model`);
      const modelFile = path.resolve(models.baseDir, spec.model);
      if (models.mode === 'check') {
        // Network paths are never looked at (see semantic.ts).
        if (models.checkFiles && !isUncPath(spec.model) && !isFile(modelFile)) throw fail(`model "${spec.model}": file not found: ${modelFile}`, `${pointer}/model`);
        return out;
      }
      if (!models.load) throw new Error('loading a learned reward needs the model loader (ParseRewardsOptions.loadModel: loadRewardModel)');
      try {
        return await models.load(modelFile, mdp);
      } catch (e) {
        if (e instanceof UserError) throw fail(`model "${spec.model}": ${e.message}`, `${pointer}/model`);
        throw e;
      }
    }
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The problem with a rewards file's text, for an editor: the loader's first error, placed on
 * the field it names (empty when the file loads). Learned reward models are not loaded, only
 * looked for (when `file` is given). Never throws for bad input.
 */
export async function checkRewardsText(text: string, file?: string): Promise<ExperimentDiagnostic[]> {
  try {
    await parseRewardsText(text, { file, models: 'check' });
    return [];
  } catch (e) {
    if (!isUserError(e)) throw e;
    const lines = new LineMap(text);
    if (e.pointer === undefined) {
      const start = e.line ? lineStart(text, e.line) + (e.column ?? 1) - 1 : 0;
      return [diagnosticAt(lines, e.message, '', start, start + 1)];
    }
    const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
    let at = e.pointer === '' ? { start: 0, end: 1 } : rangeOf(tree, e.pointer, 'value');
    // A reward or transition table can be thousands of numbers: underline its name instead.
    if (at.end - at.start > 120) at = rangeOf(tree, e.pointer, 'key');
    return [diagnosticAt(lines, e.message, e.pointer, at.start, at.end)];
  }
}

function lineStart(text: string, line: number): number {
  let offset = 0;
  for (let l = 1; l < line && offset >= 0; l++) offset = text.indexOf('\n', offset) + 1;
  return Math.max(0, offset);
}

function readScalar(v: unknown, dflt: number, pointer: string, fail: Fail): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail('must be a finite number', pointer);
  return v;
}

/** A per-state vector: [S], or for gridworlds also a [height][width] grid (wall entries ignored). */
function readStateVector(v: unknown, pointer: string, S: number, grid: GridLayout | undefined, fail: Fail): Float64Array {
  if (grid && Array.isArray(v) && Array.isArray(v[0])) {
    const { values, dims } = readNumberArray(v, 2, pointer, fail);
    if (dims[0] !== grid.height || dims[1] !== grid.width) throw fail(`a grid of values must be [height ${grid.height}][width ${grid.width}], got [${dims.join('][')}]`, pointer);
    return Float64Array.from(grid.cells, ([x, y]) => values[y * grid.width + x]);
  }
  const { values, dims } = readNumberArray(v, 1, pointer, fail);
  if (dims[0] !== S) throw fail(`expected ${S} values (one per state${grid ? `, or a [${grid.height}][${grid.width}] grid` : ''}), got ${dims[0]}`, pointer);
  return values;
}

/** A rectangular nested array of finite numbers of the given depth, flattened row-major. */
function readNumberArray(v: unknown, depth: number, pointer: string, fail: Fail): { values: Float64Array; dims: number[] } {
  const dims: number[] = [];
  let probe: unknown = v;
  for (let d = 0; d < depth; d++) {
    if (!Array.isArray(probe) || probe.length === 0) {
      throw fail(`expected a non-empty ${depth}-dimensional array of numbers`, pointer + '/0'.repeat(d));
    }
    dims.push(probe.length);
    probe = probe[0];
  }
  const total = dims.reduce((a, b) => a * b, 1);
  const values = new Float64Array(total);
  let k = 0;
  const walk = (node: unknown, d: number, ptr: string): void => {
    if (d === depth) {
      if (typeof node !== 'number' || !Number.isFinite(node)) throw fail(`expected a number, got ${JSON.stringify(node)}`, ptr);
      values[k++] = node;
      return;
    }
    if (!Array.isArray(node)) throw fail(`expected an array (depth ${d + 1} of ${depth})`, ptr);
    if (node.length !== dims[d]) throw fail(`expected ${dims[d]} entries like its siblings, got ${node.length}`, ptr);
    node.forEach((child, i) => walk(child, d + 1, `${ptr}/${i}`));
  };
  walk(v, 0, pointer);
  return { values, dims };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
