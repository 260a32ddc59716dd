import type { DiffusionView, GenerationView, PolicyView } from './viewModel';
import { MAX_POINTS } from './viewModel';
import { isCommonWebviewToHost, type CommonWebviewToHost, type Notice } from '../shared/messages';
import { isFiniteNumber, isNotice, isRecord, isShortString } from '../shared/validators';

/**
 * The message contract between the diffusion panel's host side (`src/vscode/diffusion/`) and
 * its renderer (`webview/diffusion/`). Both sides import this file and validate what they
 * receive: a malformed message is dropped.
 */

export type HostToWebview =
  /** The run to draw (sent on open, and again as a live run measures or ends). */
  | { type: 'view'; view: DiffusionView }
  | Notice;

export type WebviewToHost =
  | CommonWebviewToHost
  /** Save a schedule's sample grid (the run's PNG) where the user chooses. */
  | { type: 'exportGrid'; arm: string };

/** What the webview persists with `setState`, so the serializer can restore the panel. */
export interface DiffusionPanelState {
  runDir: string;
}

const ARMS = new Set(['coarse-to-fine', 'single-scale']);

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  return isRecord(m) && (isCommonWebviewToHost(m) || (m.type === 'exportGrid' && ARMS.has(m.arm as string)));
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'view':
      return isPolicyView(m.view) || isGenerationView(m.view);
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isDiffusionPanelState(s: unknown): s is DiffusionPanelState {
  return isRecord(s) && isShortString(s.runDir);
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096;
const optionalNumber = (v: unknown): boolean => v === undefined || isFiniteNumber(v);
const flat = (v: unknown, max: number): boolean => Array.isArray(v) && v.length <= max && v.every(isFiniteNumber);

function isHeader(v: Record<string, unknown>): boolean {
  return isText(v.runId) && isShortString(v.runDir) && isText(v.experiment) && isText(v.status);
}

export function isPolicyView(v: unknown): v is PolicyView {
  if (!isRecord(v) || v.kind !== 'diffusion-policy' || !isHeader(v) || !isText(v.arm) || !isFiniteNumber(v.modeRadius)) return false;
  const chain = v.chain;
  return (
    Array.isArray(v.modes) && v.modes.length <= 64 &&
    v.modes.every((m) => isRecord(m) && isText(m.label) && isFiniteNumber(m.x) && isFiniteNumber(m.y) && isFiniteNumber(m.reward) && optionalNumber(m.share)) &&
    flat(v.data, 2 * MAX_POINTS) && flat(v.samples, 2 * MAX_POINTS) &&
    (chain === undefined || (isRecord(chain) && flat(chain.timesteps, 1001) && Array.isArray(chain.states) && chain.states.length === (chain.timesteps as unknown[]).length && chain.states.every((s) => flat(s, 2 * MAX_POINTS)))) &&
    Array.isArray(v.curve) && v.curve.length <= 10_000 && v.curve.every((p) => isRecord(p) && isFiniteNumber(p.step) && isFiniteNumber(p.onMode) && isFiniteNumber(p.bestModeShare)) &&
    optionalNumber(v.onMode) && optionalNumber(v.bestModeShare) && optionalNumber(v.expectedReward) && optionalNumber(v.success) && (v.note === undefined || isText(v.note))
  );
}

export function isGenerationView(v: unknown): v is GenerationView {
  if (!isRecord(v) || v.kind !== 'diffusion' || !isHeader(v)) return false;
  return (
    Array.isArray(v.classNames) && v.classNames.length <= 100 && v.classNames.every(isText) &&
    Array.isArray(v.arms) && v.arms.length <= 4 &&
    v.arms.every((a) => isRecord(a) && ARMS.has(a.arm as string) && optionalNumber(a.distance) && optionalNumber(a.distance7) && optionalNumber(a.classConsistency)) &&
    Array.isArray(v.curve) && v.curve.length <= 10_000 &&
    v.curve.every((p) => isRecord(p) && ARMS.has(p.arm as string) && isFiniteNumber(p.step) && isFiniteNumber(p.distance) && isFiniteNumber(p.classConsistency)) &&
    optionalNumber(v.classifierAccuracy) && optionalNumber(v.reconstructionDistance) &&
    Array.isArray(v.grids) && v.grids.length <= 4 &&
    v.grids.every((g) => isRecord(g) && ARMS.has(g.arm as string) && Number.isInteger(g.perClass) && Number.isInteger(g.classes) &&
      typeof g.pixels === 'string' && g.pixels.length <= 8_000_000 && /^[A-Za-z0-9+/]*={0,2}$/.test(g.pixels))
  );
}
