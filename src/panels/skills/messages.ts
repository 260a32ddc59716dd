import { isCommonWebviewToHost, isRunAction, type CommonWebviewToHost, type Notice, type RunAction } from '../shared/messages';
import { isFiniteNumber, isNotice, isRecord, isRunStatus, isShortString } from '../shared/validators';
import type { SkillsRunView } from './viewModel';

/**
 * The message contract of the skills panel (host: `src/vscode/rl/panels.ts`, webview:
 * `webview/skills/main.ts`). Both sides validate what they receive and drop what does not fit.
 */
export type HostToWebview =
  | { type: 'runs'; title: string; runs: SkillsRunView[] }
  | Notice;

export type WebviewToHost = CommonWebviewToHost | RunAction;

/** What the webview persists, so the serializer can restore the panel after a reload. */
export interface SkillsPanelState {
  runDirs: string[];
}

/** Upper bounds on what a panel message may carry (a hostile or broken file cannot flood the webview). */
const MAX_RUNS = 20;
const MAX_SKILLS = 256;
const MAX_STEPS = 2001;

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || isRunAction(m));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'runs':
      return typeof m.title === 'string' && Array.isArray(m.runs) && m.runs.length <= MAX_RUNS && m.runs.every(isSkillsRunView);
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isSkillsPanelState(s: unknown): s is SkillsPanelState {
  return isRecord(s) && Array.isArray(s.runDirs) && s.runDirs.length <= MAX_RUNS && s.runDirs.every(isShortString);
}

export function isSkillsRunView(r: unknown): r is SkillsRunView {
  if (!isRecord(r)) return false;
  return (
    ['runId', 'runDir', 'experiment', 'algo', 'label'].every((k) => typeof r[k] === 'string') &&
    isRunStatus(r.status) &&
    isFiniteNumber(r.epochs) && isFiniteNumber(r.epochsDone) &&
    (r.message === undefined || typeof r.message === 'string') &&
    Array.isArray(r.coverage) && r.coverage.every((p) => isRecord(p) && isFiniteNumber(p.epoch) && isFiniteNumber(p.coverage) && isFiniteNumber(p.finalDistance)) &&
    (r.layout === undefined || (Array.isArray(r.layout) && r.layout.length <= 64 && r.layout.every((l) => typeof l === 'string' && l.length <= 64))) &&
    (r.evaluation === undefined || isEvaluation(r.evaluation))
  );
}

function isEvaluation(e: unknown): boolean {
  if (!isRecord(e)) return false;
  return (
    ['epoch', 'coverage', 'finalDistance', 'maxDistance', 'finalCells'].every((k) => isFiniteNumber(e[k])) &&
    isMatrix(e.skills, MAX_SKILLS, 64) && isMatrix(e.phi, MAX_SKILLS, 64) &&
    Array.isArray(e.trajectories) && e.trajectories.length <= MAX_SKILLS && e.trajectories.every((t) => isMatrix(t, MAX_STEPS, 2))
  );
}

function isMatrix(m: unknown, rows: number, cols: number): boolean {
  return Array.isArray(m) && m.length <= rows && m.every((r) => Array.isArray(r) && r.length <= cols && r.every(isFiniteNumber));
}
