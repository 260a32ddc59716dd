import { isCommonWebviewToHost, type CommonWebviewToHost, type Notice } from '../shared/messages';
import { isFiniteNumber, isNotice, isRecord, isRunStatus, isShortString } from '../shared/validators';
import { MAX_POINTS, type SweepView } from './viewModel';

/**
 * The message contract between the sweep panel's host side (`src/vscode/sweeps/sweepPanel.ts`)
 * and its renderer (`webview/sweep/`). Both sides validate what they receive and drop what does
 * not fit.
 */

export type HostToWebview =
  /** The sweep to draw (sent on open, and again whenever a point changes while it runs). */
  | { type: 'view'; view: SweepView }
  | Notice;

export type WebviewToHost =
  | CommonWebviewToHost
  /** Open a point's run (its timeline or results). */
  | { type: 'openRun'; runId: string };

/** What the webview persists with `setState`, so the serializer can restore the panel. */
export interface SweepPanelState {
  sweepDir: string;
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || (m.type === 'openRun' && isShortString(m.runId)));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'view':
      return isSweepView(m.view);
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isSweepPanelState(s: unknown): s is SweepPanelState {
  return isRecord(s) && isShortString(s.sweepDir);
}

const POINT_STATUSES = (v: unknown) => v === 'queued' || isRunStatus(v);
const isParam = (v: unknown) => v === null || typeof v === 'boolean' || isFiniteNumber(v) || (typeof v === 'string' && v.length <= 4096);

export function isSweepView(v: unknown): v is SweepView {
  if (!isRecord(v) || !isShortString(v.sweepId) || !isShortString(v.sweepDir) || typeof v.name !== 'string' || v.name.length > 4096) return false;
  if ((v.executor !== 'local' && v.executor !== 'slurm') || (v.jobId !== undefined && !isShortString(v.jobId))) return false;
  if (!Array.isArray(v.pointers) || v.pointers.length > 64 || !v.pointers.every(isShortString)) return false;
  return Array.isArray(v.points) && v.points.length <= MAX_POINTS && v.points.every((p) =>
    isRecord(p) && Number.isInteger(p.index) && isShortString(p.runId) && POINT_STATUSES(p.status) &&
    isRecord(p.params) && Object.keys(p.params).length <= 64 && Object.values(p.params).every(isParam) &&
    isRecord(p.metrics) && Object.keys(p.metrics).length <= 32 && Object.values(p.metrics).every(isFiniteNumber) &&
    (p.message === undefined || (typeof p.message === 'string' && p.message.length <= 10_000)));
}
