import { isCommonWebviewToHost, isRunAction, type CommonWebviewToHost, type Notice, type RunAction } from '../shared/messages';
import { isFiniteNumber, isNotice, isRecord, isRunStatus, isShortString } from '../shared/validators';
import type { GcrlRunView } from './viewModel';

/**
 * The message contract of the offline goal-conditioned RL panel (host:
 * `src/vscode/rl/panels.ts`, webview: `webview/gcrl/main.ts`). A click on a free cell asks
 * the host for V(., goal) of the selected run; the host answers from the run's value.json (the
 * network is evaluated by the run, never in the extension host). Both sides validate.
 */
export type HostToWebview =
  | { type: 'runs'; title: string; layout: string[]; runs: GcrlRunView[] }
  | { type: 'value'; runId: string; goal: [number, number]; cells: [number, number][]; values: number[] }
  | Notice;

export type WebviewToHost =
  | CommonWebviewToHost
  | RunAction
  | { type: 'selectGoal'; runId: string; goal: [number, number] };

/** Persisted by the webview: the runs shown and what is selected. */
export interface GcrlPanelState {
  runDirs: string[];
  selectedRun?: string;
  goal?: [number, number];
  task?: number;
}

const MAX_RUNS = 20;
const MAX_CELLS = 64 * 64;
const MAX_TASKS = 64;
const MAX_STEPS = 100_000;

export function isCell(c: unknown): c is [number, number] {
  return Array.isArray(c) && c.length === 2 && c.every((v) => Number.isInteger(v) && v >= 0 && v < 4096);
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || isRunAction(m) || (m.type === 'selectGoal' && isShortString(m.runId) && isCell(m.goal)));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'runs':
      return typeof m.title === 'string' && isLayout(m.layout) && Array.isArray(m.runs) && m.runs.length <= MAX_RUNS && m.runs.every(isGcrlRunView);
    case 'value':
      return (
        isShortString(m.runId) && isCell(m.goal) &&
        Array.isArray(m.cells) && m.cells.length <= MAX_CELLS && m.cells.every(isCell) &&
        Array.isArray(m.values) && m.values.length === m.cells.length && m.values.every(isFiniteNumber)
      );
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isGcrlPanelState(s: unknown): s is GcrlPanelState {
  return (
    isRecord(s) && Array.isArray(s.runDirs) && s.runDirs.length <= MAX_RUNS && s.runDirs.every(isShortString) &&
    (s.selectedRun === undefined || isShortString(s.selectedRun)) &&
    (s.goal === undefined || isCell(s.goal)) &&
    (s.task === undefined || (Number.isInteger(s.task) && (s.task as number) >= 0))
  );
}

function isLayout(l: unknown): l is string[] {
  return Array.isArray(l) && l.length <= 64 && l.every((r) => typeof r === 'string' && r.length <= 64 && /^[#.]*$/.test(r));
}

export function isGcrlRunView(r: unknown): r is GcrlRunView {
  if (!isRecord(r)) return false;
  return (
    ['runId', 'runDir', 'experiment', 'algo'].every((k) => typeof r[k] === 'string') &&
    isRunStatus(r.status) &&
    isFiniteNumber(r.epochs) && isFiniteNumber(r.epochsDone) && typeof r.hasValue === 'boolean' &&
    (r.message === undefined || typeof r.message === 'string') &&
    Array.isArray(r.success) && r.success.every((p) => isRecord(p) && isFiniteNumber(p.epoch) && isFiniteNumber(p.successRate)) &&
    Array.isArray(r.tasks) && r.tasks.length <= MAX_TASKS &&
    r.tasks.every((t) => isRecord(t) && isCell(t.start) && isCell(t.goal) && isFiniteNumber(t.shortestPath) && isFiniteNumber(t.successRate)) &&
    Array.isArray(r.rollouts) && r.rollouts.length <= MAX_TASKS && r.rollouts.every(isRollout)
  );
}

function isPoints(p: unknown): boolean {
  return Array.isArray(p) && p.length <= MAX_STEPS && p.every((q) => Array.isArray(q) && q.length === 2 && q.every(isFiniteNumber));
}

function isRollout(r: unknown): boolean {
  return isRecord(r) && Number.isInteger(r.task) && typeof r.success === 'boolean' && isPoints(r.positions) && (r.subgoals === undefined || isPoints(r.subgoals));
}
