import { MAX_REPORT_CLASSES, type TimelineRun } from './viewModel';
import { isFiniteNumber, isNotice, isRecord, isRunStatus, isShortString } from '../shared/validators';
import { isCommonWebviewToHost, isRunAction, type CommonWebviewToHost, type Notice, type RunAction } from '../shared/messages';
import type { ParamValue } from '../../core/runs/compare';

/**
 * The message contract between the timeline panel's host side (`src/vscode/timeline/`) and its
 * renderer (`webview/timeline/`). Both sides import this file (a panel contract: no `vscode`,
 * Node or TensorFlow.js imports); each validates what it
 * receives, because a webview is a separate, less trusted context and a malformed message must
 * be dropped, not crash either side.
 */

export type HostToWebview =
  /** The full set of runs to draw (sent on open, on change, and throttled while a run is live). */
  | { type: 'runs'; runs: TimelineRun[]; title: string; configDiff?: ConfigDiffRow[] }
  /** A one-line notice shown above the charts (e.g. a run folder that vanished). */
  | Notice;

/** Ready, an error for the log, an export (a chart as SVG or PNG, its data as CSV); a run's buttons. */
export type WebviewToHost = CommonWebviewToHost | RunAction;

/**
 * A configuration field in which the overlaid runs differ, with each run's value in the order of
 * `runs` (null: the run lacks the field). Only sent when several runs are shown.
 */
export interface ConfigDiffRow {
  path: string;
  values: (ParamValue | null)[];
}

/** What the webview persists with `setState`, so the serializer can restore the panel. */
export interface TimelineState {
  runDirs: string[];
}


export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || isRunAction(m));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'runs':
      return typeof m.title === 'string' && Array.isArray(m.runs) && m.runs.every(isTimelineRun) &&
        (m.configDiff === undefined || (Array.isArray(m.configDiff) && m.configDiff.length <= 10_000 && m.configDiff.every((d) => isConfigDiffRow(d, (m.runs as unknown[]).length))));
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function isConfigDiffRow(d: unknown, runs: number): d is ConfigDiffRow {
  return isRecord(d) && isShortString(d.path) && Array.isArray(d.values) && d.values.length === runs &&
    d.values.every((v) => isScalar(v) || (Array.isArray(v) && v.length <= 10_000 && v.every(isScalar)));
}

export function isTimelineState(s: unknown): s is TimelineState {
  return isRecord(s) && Array.isArray(s.runDirs) && s.runDirs.length <= 50 && s.runDirs.every(isShortString);
}

export function isTimelineRun(r: unknown): r is TimelineRun {
  if (!isRecord(r)) return false;
  const strings = ['runId', 'runDir', 'experiment', 'policy', 'backend'] as const;
  const numbers = ['epochs', 'stepsPerEpoch', 'totalSteps', 'firstStep', 'currentStep', 'epochsDone'] as const;
  return (
    strings.every((k) => typeof r[k] === 'string') &&
    numbers.every((k) => isFiniteNumber(r[k])) &&
    isRunStatus(r.status) &&
    (r.trainSeconds === undefined || isFiniteNumber(r.trainSeconds)) &&
    (r.message === undefined || typeof r.message === 'string') &&
    (r.classNames === undefined || (Array.isArray(r.classNames) && r.classNames.every((n) => typeof n === 'string'))) &&
    (r.evaluation === undefined || isClassificationReport(r.evaluation)) &&
    (r.evaluationClasses === undefined || isFiniteNumber(r.evaluationClasses)) &&
    Array.isArray(r.layers) && r.layers.every(isLayer) &&
    Array.isArray(r.epochPoints) && r.epochPoints.every(isEpochPoint) &&
    // A diverged run's last loss is NaN or infinite (null in JSON).
    Array.isArray(r.lossPoints) && r.lossPoints.every((p) => isRecord(p) && isFiniteNumber(p.step) && (p.loss === null || isFiniteNumber(p.loss)))
  );
}

function isLayer(l: unknown): boolean {
  return (
    isRecord(l) && typeof l.name === 'string' && typeof l.type === 'string' && isFiniteNumber(l.unit) && isFiniteNumber(l.params) &&
    (l.frozenAtStep === undefined || isFiniteNumber(l.frozenAtStep)) &&
    (l.frozenAtEpoch === undefined || isFiniteNumber(l.frozenAtEpoch)) &&
    (l.reason === undefined || typeof l.reason === 'string') &&
    (l.backwardSaving === undefined || isFiniteNumber(l.backwardSaving))
  );
}

function isEpochPoint(p: unknown): boolean {
  return (
    isRecord(p) &&
    ['epoch', 'step', 'elapsedSeconds', 'savedForward', 'savedBackward'].every((k) => isFiniteNumber(p[k])) &&
    // Metrics can legitimately be NaN/Infinity after a divergence; JSON turns those into null.
    ['loss', 'testLoss', 'testAccuracy'].every((k) => p[k] === null || isFiniteNumber(p[k]))
  );
}

/** A per-class report of at most `MAX_REPORT_CLASSES` classes whose parts agree in size. */
function isClassificationReport(e: unknown): boolean {
  if (!isRecord(e) || !Array.isArray(e.classNames) || !Array.isArray(e.confusionMatrix) || !Array.isArray(e.perClass) || !isRecord(e.macro)) return false;
  const n = e.classNames.length;
  return (
    n <= MAX_REPORT_CLASSES && e.classNames.every((c) => typeof c === 'string') &&
    e.confusionMatrix.length === n && e.confusionMatrix.every((row) => Array.isArray(row) && row.length === n && row.every(isFiniteNumber)) &&
    e.perClass.length === n &&
    e.perClass.every((c) => isRecord(c) && typeof c.class === 'string' && ['precision', 'recall', 'f1', 'support'].every((k) => isFiniteNumber(c[k]))) &&
    ['precision', 'recall', 'f1'].every((k) => isFiniteNumber((e.macro as Record<string, unknown>)[k]))
  );
}
