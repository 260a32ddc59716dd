import type { TopLevelSpec } from 'vega-lite';
import type { CsvCell } from '../shared/export';
import type { GenerationView, PolicyView } from './viewModel';

/**
 * The diffusion panel's charts as Vega-Lite specs (pure; the webview compiles them and renders
 * with vega's expression interpreter, no `eval` under the CSP).
 */

/** Colours and font of the current VS Code theme (read from CSS variables by the webview). */
export interface DiffusionTheme {
  foreground: string;
  grid: string;
  fontFamily: string;
  data: string;
  samples: string;
  /** One colour per generation schedule, in order. */
  arms: string[];
}

function config(theme: DiffusionTheme): TopLevelSpec['config'] {
  return {
    background: null as unknown as string,
    font: theme.fontFamily,
    view: { stroke: theme.grid },
    axis: { labelColor: theme.foreground, titleColor: theme.foreground, gridColor: theme.grid, domainColor: theme.grid, tickColor: theme.grid },
    legend: { labelColor: theme.foreground, titleColor: theme.foreground, orient: 'bottom' },
    title: { color: theme.foreground },
  };
}

/** Flat (x, y) pairs to rows. */
function points(flat: readonly number[], set: string): { x: number; y: number; set: string }[] {
  const out: { x: number; y: number; set: string }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ x: flat[i], y: flat[i + 1], set });
  return out;
}

/**
 * Data actions (faint) and the policy's actions on one plane with the modes circled: `frame`
 * picks a state of the reverse chain (0 = pure noise x_T, last = the final actions), or the
 * final samples when the run has no chain.
 */
export function policyScatterSpec(view: PolicyView, frame: number | undefined, theme: DiffusionTheme, size = 360): TopLevelSpec {
  const chainState = frame !== undefined && view.chain ? view.chain.states[Math.max(0, Math.min(frame, view.chain.states.length - 1))] : undefined;
  const label = chainState && view.chain ? chainLabel(view.chain.timesteps[Math.max(0, Math.min(frame!, view.chain.timesteps.length - 1))]) : 'sampled actions';
  const rows = [...points(view.data, 'data'), ...points(chainState ?? view.samples, label)];
  const extent = Math.max(1, ...rows.map((r) => Math.max(Math.abs(r.x), Math.abs(r.y)))) * 1.05;
  const scale = { domain: [-extent, extent], nice: false };
  // Vega's symbol size is the area of its bounding box: (2 r)^2 for a circle of radius r pixels.
  const radiusPx = (view.modeRadius / (2 * extent)) * size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: size,
    height: size,
    config: config(theme),
    layer: [
      {
        data: { values: rows },
        mark: { type: 'circle', size: 9 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale, title: 'action 1' },
          y: { field: 'y', type: 'quantitative', scale, title: 'action 2' },
          color: { field: 'set', type: 'nominal', scale: { domain: ['data', label], range: [theme.data, theme.samples] }, title: null },
          opacity: { condition: { test: "datum.set === 'data'", value: 0.25 }, value: 0.7 },
        },
      },
      {
        data: { values: view.modes.map((m) => ({ ...m, text: `${m.label} (r ${m.reward})` })) },
        mark: { type: 'point', shape: 'circle', filled: false, color: theme.foreground, size: (2 * radiusPx) ** 2 },
        encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale }, tooltip: [{ field: 'text', title: 'mode' }] },
      },
    ],
  } as TopLevelSpec;
}

function chainLabel(t: number): string {
  return t < 0 ? 'x_T (noise)' : `after step t = ${t}`;
}

/** Share of the final samples on each mode (within the radius), with the mode's mean reward. */
export function modeBarsSpec(view: PolicyView, theme: DiffusionTheme, width = 360): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width,
    height: { step: 22 },
    config: config(theme),
    data: { values: view.modes.map((m) => ({ mode: `${m.label} (r ${m.reward})`, share: m.share ?? 0 })) },
    mark: { type: 'bar', color: theme.samples },
    encoding: {
      y: { field: 'mode', type: 'nominal', sort: null, title: null },
      x: { field: 'share', type: 'quantitative', axis: { format: '.0%' }, scale: { domain: [0, 1] }, title: `share of samples within ${view.modeRadius} of the mode` },
      tooltip: [{ field: 'mode' }, { field: 'share', format: '.1%' }],
    },
  } as TopLevelSpec;
}

/** The distance (ours, not FID) and class consistency over training, both schedules overlaid. */
export function generationCurveSpec(view: GenerationView, theme: DiffusionTheme, width = 360): TopLevelSpec {
  const arms = view.arms.map((a) => a.arm);
  const color = { field: 'arm', type: 'nominal' as const, scale: { domain: arms, range: theme.arms.slice(0, arms.length) }, title: null };
  const x = { field: 'step', type: 'quantitative' as const, title: 'diffusion training step' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: config(theme),
    data: { values: view.curve },
    vconcat: [
      {
        width, height: 140,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'distance', type: 'quantitative', title: 'Fréchet distance (ours)' }, color, tooltip: [{ field: 'arm' }, { field: 'step' }, { field: 'distance', format: '.2f' }] },
      },
      {
        width, height: 140,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'classConsistency', type: 'quantitative', axis: { format: '.0%' }, title: 'class consistency' }, color, tooltip: [{ field: 'arm' }, { field: 'step' }, { field: 'classConsistency', format: '.1%' }] },
      },
    ],
  } as TopLevelSpec;
}

/** The scatter's data for export: every data action and final sampled action. */
export const ACTIONS_CSV_HEADER = ['set', 'x', 'y'];
export function actionCsvRows(view: PolicyView): CsvCell[][] {
  return [...points(view.data, 'data'), ...points(view.samples, 'sample')].map((p) => [p.set, p.x, p.y]);
}

/** The per-mode bars' data for export. */
export const MODES_CSV_HEADER = ['mode', 'x', 'y', 'reward', 'share'];
export function modeCsvRows(view: PolicyView): CsvCell[][] {
  return view.modes.map((m) => [m.label, m.x, m.y, m.reward, m.share]);
}

/** The generation curve's data for export: one row per schedule and measured step. */
export const GENERATION_CSV_HEADER = ['schedule', 'step', 'distance', 'class consistency'];
export function generationCsvRows(view: GenerationView): CsvCell[][] {
  return view.curve.map((p) => [p.arm, p.step, p.distance, p.classConsistency]);
}
