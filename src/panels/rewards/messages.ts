import type { HeatmapTheme, VegaLiteSpec } from './spec';
import { isFiniteNumber, isRecord, isRendererError } from '../shared/validators';
import { isExportRequest, MAX_EXPORT_CHARS, type ExportRequest } from '../shared/export';

/**
 * The message contract between the reward-comparison panel's host side (`src/vscode/rewards/`)
 * and its renderer (`webview/rewards/`). Both sides import this file (a panel contract: no
 * `vscode`, Node or TensorFlow.js imports) and each validates what it receives: a malformed
 * message is dropped, never trusted.
 *
 * The host builds the Vega-Lite specs (`viewModel.ts` with the builders in `spec.ts`) from the
 * theme colours the webview reports; the webview only renders them.
 */

/** Kept in sync with `core/reward/canonicalize.ts` and `core/reward/norms.ts` (checked by a test). */
export const CANON_OPTIONS = ['val', 'epic', 'dard', 'minimal', 'none'] as const;
export const NORM_OPTIONS = ['1', '2', 'inf', 'weighted_1', 'weighted_2', 'weighted_inf', 'none'] as const;
/** A metric must be a norm: "none" would make every distance zero or meaningless. */
export const METRIC_OPTIONS = ['1', '2', 'inf', 'weighted_1', 'weighted_2', 'weighted_inf'] as const;

export type CanonOption = (typeof CANON_OPTIONS)[number];
export type NormOption = (typeof NORM_OPTIONS)[number];
export type MetricOption = (typeof METRIC_OPTIONS)[number];

export interface CompareSettings {
  canon: CanonOption;
  norm: NormOption;
  metric: MetricOption;
}

export const DEFAULT_SETTINGS: CompareSettings = { canon: 'val', norm: '2', metric: '2' };

/** Facts about the compared file shown above the heatmap. */
export interface MatrixSummary {
  fileName: string;
  states: number;
  actions: number;
  discount: number;
  rewards: number;
  /** Rewards that canonicalise to zero (potential shaping plus a constant). */
  trivial: string[];
  /** Seconds the computation took in the worker thread. */
  seconds: number;
}

export type HostToWebview =
  /** Sent once the webview is ready: what to persist and show in the pickers. */
  | { type: 'init'; state: RewardsPanelState; fileName: string }
  /** A computation started; the webview shows a spinner (and keeps the last result visible). */
  | { type: 'busy'; what: 'matrix' | 'difference'; text: string }
  /** The pairwise distance heatmap and the settings it was computed with. */
  | { type: 'matrix'; settings: CompareSettings; names: string[]; summary: MatrixSummary; spec: VegaLiteSpec; /** Its data, for Export CSV. */ csv: string }
  /** The per-(state, action) difference heatmap of one pair (indices into `names`). */
  | { type: 'difference'; row: number; col: number; title: string; maxAbs: number; spec: VegaLiteSpec; csv: string }
  /** The rewards file could not be used (bad field, bad JSON, ...); `where` is "file:line:col". */
  | { type: 'error'; text: string; where?: string };

export type WebviewToHost =
  /** The webview is listening; carries the theme colours it resolved from CSS variables. */
  | { type: 'ready'; theme: PanelTheme }
  /** The VS Code theme changed. */
  | { type: 'theme'; theme: PanelTheme }
  | { type: 'settings'; settings: CompareSettings }
  /** A click on a distance cell (indices into the last `matrix` message's names). */
  | { type: 'selectPair'; row: number; col: number }
  /** Open the rewards file in an editor (at the error position if there is one). */
  | { type: 'openFile' }
  /** Save a heatmap (SVG, PNG) or its data (CSV) where the user picks (the host's save dialog). */
  | ExportRequest
  /** An error inside the renderer, logged to the "Model Lab" output channel. */
  | { type: 'error'; message: string };

/**
 * Colours of the two heatmaps: the distance matrix is sequential (0 = close to the editor
 * background), the difference diverging (blue below zero, red above).
 */
export interface PanelTheme {
  distance: HeatmapTheme;
  difference: HeatmapTheme;
}

/** What the webview persists with `setState`, so the serializer can restore the panel. */
export interface RewardsPanelState {
  /** The rewards file as a URI string. */
  file: string;
  settings: CompareSettings;
}

const MAX_TEXT = 10_000;

export function isCompareSettings(s: unknown): s is CompareSettings {
  return (
    isRecord(s) &&
    (CANON_OPTIONS as readonly unknown[]).includes(s.canon) &&
    (NORM_OPTIONS as readonly unknown[]).includes(s.norm) &&
    (METRIC_OPTIONS as readonly unknown[]).includes(s.metric)
  );
}

export function isHeatmapTheme(t: unknown): t is HeatmapTheme {
  if (!isRecord(t)) return false;
  const required = ['foreground', 'low', 'high'];
  const optional = ['background', 'mid', 'font'];
  return (
    required.every((k) => isColorText(t[k])) &&
    optional.every((k) => t[k] === undefined || isColorText(t[k])) &&
    Object.keys(t).every((k) => required.includes(k) || optional.includes(k))
  );
}

export function isPanelTheme(t: unknown): t is PanelTheme {
  return isRecord(t) && isHeatmapTheme(t.distance) && isHeatmapTheme(t.difference) && Object.keys(t).length === 2;
}

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'ready':
    case 'theme':
      return isPanelTheme(m.theme);
    case 'settings':
      return isCompareSettings(m.settings);
    case 'selectPair':
      return isIndex(m.row) && isIndex(m.col);
    case 'openFile':
      return true;
    case 'export':
      return isExportRequest(m);
    case 'error':
      return isRendererError(m);
    default:
      return false;
  }
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'init':
      return isRewardsPanelState(m.state) && isText(m.fileName);
    case 'busy':
      return (m.what === 'matrix' || m.what === 'difference') && isText(m.text);
    case 'matrix':
      return isCompareSettings(m.settings) && Array.isArray(m.names) && m.names.every((n) => typeof n === 'string') && isSummary(m.summary) && isRecord(m.spec) && isCsv(m.csv);
    case 'difference':
      return isIndex(m.row) && isIndex(m.col) && isText(m.title) && isFiniteNumber(m.maxAbs) && isRecord(m.spec) && isCsv(m.csv);
    case 'error':
      return isText(m.text) && (m.where === undefined || isText(m.where));
    default:
      return false;
  }
}

export function isRewardsPanelState(s: unknown): s is RewardsPanelState {
  return isRecord(s) && typeof s.file === 'string' && s.file.length > 0 && s.file.length <= 4096 && isCompareSettings(s.settings);
}

function isSummary(s: unknown): s is MatrixSummary {
  return (
    isRecord(s) &&
    typeof s.fileName === 'string' &&
    ['states', 'actions', 'discount', 'rewards', 'seconds'].every((k) => isFiniteNumber(s[k])) &&
    Array.isArray(s.trivial) && s.trivial.every((n) => typeof n === 'string')
  );
}

/** Colours and font names: short, and no characters that could break out of a CSS/SVG value. */
function isColorText(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200 && !/[<>;{}\\]/.test(v);
}

function isCsv(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_EXPORT_CHARS;
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.length <= MAX_TEXT;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 100_000;
}
