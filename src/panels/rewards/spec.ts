/**
 * Vega-Lite specs for the reward panel's two heatmaps, as pure functions so tests can check
 * them. The host builds them (`viewModel.ts`) and sends them through the panel protocol; the
 * webview only renders.
 *
 * Colours come in as parameters: the panel reads the theme's CSS variables
 * (`getComputedStyle(document.body).getPropertyValue('--vscode-...')`) and passes the resolved
 * values, because the canvas renderer cannot resolve `var(...)` itself.
 */
export interface HeatmapTheme {
  /** Text, axis labels and cell labels (e.g. --vscode-foreground). */
  foreground: string;
  /** Chart background (e.g. --vscode-editor-background); transparent when omitted. */
  background?: string;
  /** Colour of the lowest value / most negative difference (e.g. --vscode-charts-blue). */
  low: string;
  /** Colour of the highest value / most positive difference (e.g. --vscode-charts-red). */
  high: string;
  /** Colour of zero in the difference heatmap (e.g. --vscode-editor-background). */
  mid?: string;
  /** Font family (e.g. --vscode-font-family). */
  font?: string;
}

/** Loose JSON object type for a Vega-Lite spec (the webview validates it by compiling it). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Name of the point selection a click on a distance cell sets (fields `row`, `col`). */
export const CELL_SELECTION = 'cell';

function config(theme: HeatmapTheme): Record<string, unknown> {
  return {
    background: theme.background ?? 'transparent',
    font: theme.font,
    view: { stroke: null },
    axis: { labelColor: theme.foreground, titleColor: theme.foreground, domainColor: theme.foreground, tickColor: theme.foreground, grid: false },
    legend: { labelColor: theme.foreground, titleColor: theme.foreground },
    title: { color: theme.foreground },
  };
}

function checkNames(names: readonly string[], what: string): void {
  if (new Set(names).size !== names.length) throw new RangeError(`${what} must be unique`);
}

/**
 * Pairwise distance heatmap: one cell per (row, col) reward pair, hover tooltips with the value,
 * a click selects the pair (selection `cell`). Cell labels are drawn for up to 12 rewards.
 */
export function distanceHeatmapSpec(names: readonly string[], matrix: readonly (readonly number[])[], theme: HeatmapTheme, opts: { title?: string; metricLabel?: string } = {}): VegaLiteSpec {
  const n = names.length;
  checkNames(names, 'reward names');
  if (matrix.length !== n || matrix.some((r) => r.length !== n)) throw new RangeError(`matrix must be ${n} x ${n}`);
  const values: { row: string; col: string; i: number; j: number; value: number }[] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      values.push({ row: names[i], col: names[j], i, j, value: matrix[i][j] });
      if (Number.isFinite(matrix[i][j])) max = Math.max(max, matrix[i][j]);
    }
  }
  const label = opts.metricLabel ?? 'distance';
  const encoding = {
    x: { field: 'col', type: 'nominal', sort: [...names], title: null, axis: { labelAngle: -40 } },
    y: { field: 'row', type: 'nominal', sort: [...names], title: null },
  };
  const layers: Record<string, unknown>[] = [
    {
      params: [{ name: CELL_SELECTION, select: { type: 'point', fields: ['row', 'col'], on: 'click', clear: 'dblclick' } }],
      mark: { type: 'rect', cursor: 'pointer' },
      encoding: {
        color: {
          field: 'value',
          type: 'quantitative',
          title: label,
          scale: { domain: [0, max > 0 ? max : 1], range: [theme.low, theme.high] },
        },
        stroke: { condition: { param: CELL_SELECTION, empty: false, value: theme.foreground }, value: null },
        strokeWidth: { value: 2 },
        tooltip: [
          { field: 'row', type: 'nominal', title: 'reward' },
          { field: 'col', type: 'nominal', title: 'vs' },
          { field: 'value', type: 'quantitative', title: label, format: '.4f' },
        ],
      },
    },
  ];
  if (n <= 12) {
    layers.push({
      mark: { type: 'text', fontSize: 10, color: theme.foreground },
      encoding: { text: { field: 'value', type: 'quantitative', format: '.2f' } },
    });
  }
  return {
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    data: { values },
    width: { step: n > 24 ? 16 : 36 },
    height: { step: n > 24 ? 16 : 36 },
    encoding,
    layer: layers,
    config: config(theme),
  };
}

/**
 * Per-(state, action) difference of two standardised rewards: states on the y axis, actions on
 * the x axis, a diverging colour scale symmetric around zero (low, mid, high).
 * `values` has index s * A + a (as `stateActionDifference` returns).
 */
export function differenceHeatmapSpec(stateLabels: readonly string[], actionLabels: readonly string[], values: ArrayLike<number>, theme: HeatmapTheme, opts: { title?: string } = {}): VegaLiteSpec {
  const S = stateLabels.length;
  const A = actionLabels.length;
  checkNames(stateLabels, 'state labels');
  checkNames(actionLabels, 'action labels');
  if (values.length !== S * A) throw new RangeError(`values must have ${S} x ${A} = ${S * A} entries, got ${values.length}`);
  const rows: { state: string; action: string; s: number; a: number; difference: number }[] = [];
  let extent = 0;
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      const v = values[s * A + a];
      rows.push({ state: stateLabels[s], action: actionLabels[a], s, a, difference: v });
      if (Number.isFinite(v)) extent = Math.max(extent, Math.abs(v));
    }
  }
  const d = extent > 0 ? extent : 1;
  return {
    $schema: SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    data: { values: rows },
    width: { step: 36 },
    height: { step: S > 40 ? 10 : 20 },
    mark: 'rect',
    encoding: {
      x: { field: 'action', type: 'nominal', sort: [...actionLabels], title: 'action' },
      y: { field: 'state', type: 'nominal', sort: [...stateLabels], title: 'state' },
      color: {
        field: 'difference',
        type: 'quantitative',
        title: 'difference',
        scale: { domain: [-d, 0, d], range: [theme.low, theme.mid ?? theme.background ?? 'white', theme.high] },
      },
      tooltip: [
        { field: 'state', type: 'nominal' },
        { field: 'action', type: 'nominal' },
        { field: 'difference', type: 'quantitative', format: '.4f' },
      ],
    },
    config: config(theme),
  };
}
