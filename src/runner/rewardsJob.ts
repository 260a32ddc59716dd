import { totalmem } from 'node:os';
import { checkComparisonSize, type ComparisonSize } from '../core/reward/estimate';
import { loadRewardModel } from '../core/reward/learnedReward';
import { parseRewardsText, type RewardsFileContent } from '../core/reward/rewardsFile';
import { pairwiseDistanceSteps, stateActionDifferenceSteps } from '../core/reward/starc';
import { runCooperatively, type StepProgress } from '../core/util/steps';
import type { ConfirmationNeeded, DifferenceResult, MatrixResult, RewardsJobRequest } from './jobProtocol';

/**
 * The reward panel's jobs in a runner process: the distance matrix and a pair's difference.
 * One instance per process keeps the last parsed file, so a click on a cell does not re-parse
 * (or re-score a learned reward model), only a changed text does. Every computation is sized
 * first (`core/reward/estimate.ts`): above the hard limit it is refused, above the soft limit it
 * waits for the user's confirmation (refused in Restricted Mode); it runs cooperatively, so a
 * cancel stops it at the next block.
 */
export interface JobContext {
  signal: AbortSignal;
  progress(p: StepProgress): void;
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

/** Thrown by the size check to leave the loader early; the job answers with `confirm`. */
class NeedsConfirmation extends Error {
  constructor(readonly outcome: ConfirmationNeeded) {
    super('needs confirmation');
  }
}

export class RewardsJobs {
  private cached: { file: string; text: string; restricted: boolean; content: Promise<RewardsFileContent> } | undefined;

  constructor(private readonly totalMemory = totalmem()) {}

  /** The comparison's size against the limits: throws (hard limit, Restricted Mode) or asks for confirmation. */
  private check(size: ComparisonSize, req: RewardsJobRequest): void {
    const { estimate, large } = checkComparisonSize(size, req.settings, { totalMemoryBytes: this.totalMemory, restricted: req.restricted, file: req.file });
    if (large && !req.confirmed) throw new NeedsConfirmation({ confirm: { size, estimate } });
  }

  private load(req: RewardsJobRequest, signal: AbortSignal): Promise<RewardsFileContent> {
    const restricted = req.restricted === true;
    const c = this.cached;
    if (c && c.file === req.file && c.text === req.text && c.restricted === restricted) {
      return c.content.then((content) => {
        this.check(content.size, req);
        return content;
      });
    }
    const content = parseRewardsText(req.text, { file: req.file, models: restricted ? 'refuse' : 'load', loadModel: loadRewardModel, signal, checkSize: (size) => this.check(size, req) });
    // A failed or stopped load is not kept: the next request tries again.
    content.catch(() => {
      if (this.cached?.content === content) this.cached = undefined;
    });
    this.cached = { file: req.file, text: req.text, restricted, content };
    return content;
  }

  async matrix(req: RewardsJobRequest, ctx: JobContext): Promise<MatrixResult | ConfirmationNeeded> {
    const started = performance.now();
    let content: RewardsFileContent;
    try {
      content = await this.load(req, ctx.signal);
    } catch (e) {
      if (e instanceof NeedsConfirmation) return e.outcome;
      throw e;
    }
    const { canon, norm, metric } = req.settings;
    const { matrix, trivial } = await runCooperatively(pairwiseDistanceSteps(content.mdp, content.rewards, { canon, norm, metric }), {
      signal: ctx.signal,
      onProgress: ctx.progress,
    });
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

  async difference(req: RewardsJobRequest & { row: number; col: number }, ctx: JobContext): Promise<DifferenceResult> {
    const started = performance.now();
    // A cell is clicked on a matrix the user already confirmed.
    const content = await this.load({ ...req, confirmed: true }, ctx.signal);
    const k = content.rewards.length;
    if (req.row >= k || req.col >= k) throw new RangeError(`reward pair (${req.row}, ${req.col}) out of range (${k} rewards)`);
    const values = await runCooperatively(
      stateActionDifferenceSteps(content.mdp, content.rewards[req.row], content.rewards[req.col], req.settings.canon, req.settings.norm),
      { signal: ctx.signal },
    );
    return { row: req.row, col: req.col, values, seconds: (performance.now() - started) / 1000 };
  }
}
