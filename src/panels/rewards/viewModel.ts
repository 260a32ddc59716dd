import type { ErrorInfo } from '../../core/errors';
import type { DifferenceResult, MatrixResult } from '../../core/reward/comparison';
import { CANONICALIZATION_LABELS, normalizationLabel } from '../../core/reward/names';
import { differenceHeatmapSpec, distanceHeatmapSpec } from './spec';
import { toCsv } from '../shared/export';
import type { CompareSettings, HostToWebview, PanelTheme } from './messages';

/**
 * Pure view-model of the reward panel: turns computation results into the messages the webview
 * renders (Vega-Lite specs built with the theme the webview reported), and labels.
 */

export const normLabel = normalizationLabel;

/** e.g. "VAL · L2 / L2": canonicalisation · normalisation / metric. */
export function settingsLabel(s: CompareSettings): string {
  return `${CANONICALIZATION_LABELS[s.canon]} · ${normLabel(s.norm)} / ${normLabel(s.metric)}`;
}

export function panelTitle(fileName: string): string {
  return `Rewards: ${fileName.replace(/\.rewards\.json$/, '')}`;
}

export function matrixMessage(result: MatrixResult, settings: CompareSettings, fileName: string, theme: PanelTheme): Extract<HostToWebview, { type: 'matrix' }> {
  return {
    type: 'matrix',
    settings,
    names: result.names,
    summary: {
      fileName,
      states: result.states,
      actions: result.actions,
      discount: result.discount,
      rewards: result.names.length,
      trivial: result.names.filter((_, i) => result.trivial[i]),
      seconds: result.seconds,
    },
    spec: outlined(distanceHeatmapSpec(result.names, result.matrix, theme.distance, { metricLabel: 'distance' }), theme.distance.foreground),
    csv: distanceMatrixCsv(result.names, result.matrix),
  };
}

export function differenceMessage(diff: DifferenceResult, matrix: MatrixResult, settings: CompareSettings, theme: PanelTheme): Extract<HostToWebview, { type: 'difference' }> {
  const a = matrix.names[diff.row];
  const b = matrix.names[diff.col];
  let maxAbs = 0;
  for (const v of diff.values) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
  return {
    type: 'difference',
    row: diff.row,
    col: diff.col,
    title: `${a} − ${b}`,
    maxAbs,
    spec: outlined(differenceHeatmapSpec(matrix.stateLabels, matrix.actionLabels, diff.values, theme.difference), theme.difference.foreground),
    csv: differenceCsv(matrix.stateLabels, matrix.actionLabels, diff.values),
  };
}

export function errorMessage(info: ErrorInfo, displayFile?: string): Extract<HostToWebview, { type: 'error' }> {
  if (!info.user) return { type: 'error', text: `Internal error: ${info.message}` };
  const where = info.line ? `${displayFile ?? info.file ?? ''}:${info.line}:${info.column ?? 1}` : displayFile ?? info.file;
  const field = info.pointer ? `${info.pointer}: ` : '';
  return { type: 'error', text: `${field}${info.message}`, ...(where ? { where } : {}) };
}

/**
 * Two adjustments to the specs of `spec.ts`:
 * - a thin frame around the plot: cells at 0 have the editor background's colour, and without
 *   it the matrix would lose its edge (the builders leave the view unstroked);
 * - colour interpolation in Lab instead of Vega's default HCL: HCL has no hue for white, so a
 *   diverging blue / white / red scale maps 0 to a peach tint (measured: #ffbd85) instead of
 *   the editor background of light themes; Lab passes exactly through the middle colour.
 */
function outlined(spec: Record<string, unknown>, color: string): Record<string, unknown> {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  const view = (config.view ?? {}) as Record<string, unknown>;
  return { ...spec, ...withLabColors(spec), config: { ...config, view: { ...view, stroke: color, strokeOpacity: 0.35 } } };
}

function withLabColors(spec: Record<string, unknown>): Record<string, unknown> {
  const patch = (encoding: unknown): unknown => {
    const enc = encoding as Record<string, Record<string, unknown>> | undefined;
    if (!enc?.color?.scale) return encoding;
    return { ...enc, color: { ...enc.color, scale: { ...(enc.color.scale as object), interpolate: 'lab' } } };
  };
  const out: Record<string, unknown> = {};
  if (spec.encoding) out.encoding = patch(spec.encoding);
  if (Array.isArray(spec.layer)) out.layer = spec.layer.map((l: Record<string, unknown>) => (l.encoding ? { ...l, encoding: patch(l.encoding) } : l));
  return out;
}

/** The distance matrix as a table: a row and a column per reward (row reward, then its distance to each). */
export function distanceMatrixCsv(names: readonly string[], matrix: readonly (readonly number[])[]): string {
  return toCsv(['reward', ...names], matrix.map((row, i) => [names[i], ...row]));
}

/** The difference of one pair: a row per (state, action), `values` indexed s * A + a. */
export function differenceCsv(stateLabels: readonly string[], actionLabels: readonly string[], values: ArrayLike<number>): string {
  const A = actionLabels.length;
  return toCsv(['state', 'action', 'difference'], stateLabels.flatMap((s, i) => actionLabels.map((a, j) => [s, a, values[i * A + j]])));
}
