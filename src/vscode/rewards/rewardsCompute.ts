import { isUserError } from '../../core/errors';
import { parseRewardsText, type RewardsFileContent } from '../../core/reward/rewardsFile';
import { pairwiseDistances, stateActionDifference } from '../../core/reward/starc';
import type { CompareSettings } from './messages';

/**
 * The computations behind the reward panel, free of `vscode` so they run unchanged in the
 * extension host, in a `worker_threads` worker (`rewardsWorker.ts`) and in tests.
 * One instance keeps the last parsed file, so a click on a cell does not re-parse (or re-score
 * a learned reward model) — only a changed text does.
 */
export interface MatrixRequest {
  /** Absolute path of the rewards file (for error messages and relative model paths). */
  file: string;
  /** The file's current text (what the editor has, saved). */
  text: string;
  settings: CompareSettings;
  /** Load learned rewards' model files (false in Restricted Mode, see `ParseRewardsOptions`). */
  loadModels?: boolean;
}

export interface DifferenceRequest extends MatrixRequest {
  row: number;
  col: number;
}

export interface MatrixResult {
  names: string[];
  matrix: number[][];
  trivial: boolean[];
  states: number;
  actions: number;
  discount: number;
  stateLabels: string[];
  actionLabels: string[];
  seconds: number;
}

export interface DifferenceResult {
  row: number;
  col: number;
  /** s(R_row) - s(R_col) per (state, action), index s * A + a. */
  values: Float64Array;
  seconds: number;
}

/** A UserError (or any error) flattened for structured cloning across a worker boundary. */
export interface ComputeErrorInfo {
  message: string;
  user: boolean;
  file?: string;
  line?: number;
  column?: number;
  pointer?: string;
  /** The UserError's one-line form (`file:line:col: /pointer: message`). */
  formatted: string;
}

export function toComputeErrorInfo(e: unknown): ComputeErrorInfo {
  if (isUserError(e)) {
    return { message: e.message, user: true, file: e.file, line: e.line, column: e.column, pointer: e.pointer, formatted: e.format() };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { message, user: false, formatted: message };
}

/** Gridworld action names (core/reward/gridworld.ts: 0 up, 1 down, 2 left, 3 right). */
const GRID_ACTIONS = ['up', 'down', 'left', 'right'];

/** Labels of the difference heatmap's axes: gridworld cells as (x, y), otherwise indices. */
export function axisLabels(content: RewardsFileContent): { stateLabels: string[]; actionLabels: string[] } {
  const { nStates, nActions } = content.mdp;
  const grid = content.grid;
  const stateLabels = grid
    ? grid.cells.map(([x, y], s) => `(${x}, ${y})${grid.terminal[s] ? ' ■' : ''}`)
    : Array.from({ length: nStates }, (_, s) => `s${s}`);
  const actionLabels = grid && nActions === GRID_ACTIONS.length ? [...GRID_ACTIONS] : Array.from({ length: nActions }, (_, a) => `a${a}`);
  return { stateLabels, actionLabels };
}

export class RewardsComputation {
  private cached: { file: string; text: string; loadModels: boolean; content: Promise<RewardsFileContent> } | undefined;

  private load({ file, text, loadModels = true }: MatrixRequest): Promise<RewardsFileContent> {
    if (!this.cached || this.cached.file !== file || this.cached.text !== text || this.cached.loadModels !== loadModels) {
      const content = parseRewardsText(text, { file, models: loadModels ? 'load' : 'refuse' });
      // A failed parse is not kept: the next request (after an edit) tries again anyway.
      content.catch(() => {
        if (this.cached?.content === content) this.cached = undefined;
      });
      this.cached = { file, text, loadModels, content };
    }
    return this.cached.content;
  }

  async matrix(req: MatrixRequest): Promise<MatrixResult> {
    const started = performance.now();
    const content = await this.load(req);
    const { canon, norm, metric } = req.settings;
    const { matrix, trivial } = pairwiseDistances(content.mdp, content.rewards, { canon, norm, metric });
    return {
      names: content.names,
      matrix,
      trivial,
      states: content.mdp.nStates,
      actions: content.mdp.nActions,
      discount: content.mdp.discount,
      ...axisLabels(content),
      seconds: (performance.now() - started) / 1000,
    };
  }

  async difference(req: DifferenceRequest): Promise<DifferenceResult> {
    const started = performance.now();
    const content = await this.load(req);
    const k = content.rewards.length;
    if (req.row >= k || req.col >= k) throw new RangeError(`reward pair (${req.row}, ${req.col}) out of range (${k} rewards)`);
    const values = stateActionDifference(content.mdp, content.rewards[req.row], content.rewards[req.col], req.settings.canon, req.settings.norm);
    return { row: req.row, col: req.col, values, seconds: (performance.now() - started) / 1000 };
  }
}
