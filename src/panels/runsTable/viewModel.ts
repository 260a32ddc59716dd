import { differingPaths, formatParam, type ParamValue, type Params } from '../../core/runs/compare';
import { formatPercent, formatSeconds } from '../shared/format';

/** What the table needs of a run: `runner/runCatalog.ts`'s `RunEntry` (the CLI's `runs list` object). */
export interface RunsTableInput {
  runId: string;
  name?: string;
  experiment: string;
  kind: string;
  status: string;
  policy: string;
  params: Params;
  metrics: Record<string, number>;
  tags: string[];
  note: string;
  runDir: string;
  startedAt: string;
  durationSeconds?: number;
}

export { formatParam };

/**
 * The runs table's view model: one row per run, columns for what every run has (status,
 * experiment, kind, policy, duration, started, tags), one per hyperparameter that differs
 * between the runs, and one per metric. Sorting, filtering and the window of rows to draw
 * (the table is virtualised) are pure functions here, shared by the host and the webview.
 */
export type ColumnGroup = 'run' | 'param' | 'metric';

export interface RunsTableColumn {
  id: string;
  label: string;
  group: ColumnGroup;
  numeric: boolean;
}

export interface RunsTableRow {
  /** The row's key (a run folder). */
  runDir: string;
  runId: string;
  name?: string;
  experiment: string;
  kind: string;
  status: string;
  policy: string;
  /** Only the fields that differ between the runs (a run without the field has no key). */
  params: Params;
  metrics: Record<string, number>;
  durationSeconds?: number;
  startedAt: string;
  tags: string[];
  note: string;
}

export interface RunsTableModel {
  columns: RunsTableColumn[];
  rows: RunsTableRow[];
}

/** Fields that have their own column or are not hyperparameters. */
const NOT_HYPERPARAMETERS = new Set(['kind', 'name', 'description', 'freezing.policy']);

const BEFORE = ['status', 'run', 'experiment', 'kind', 'policy'];
const AFTER = ['duration', 'started', 'tags', 'note'];
const LABELS: Record<string, string> = { status: 'Status', run: 'Run', experiment: 'Experiment', kind: 'Kind', policy: 'Policy', duration: 'Duration', started: 'Started', tags: 'Tags', note: 'Note' };

export function runsTableModel(entries: readonly RunsTableInput[]): RunsTableModel {
  const differing = differingPaths(entries.map((e) => e.params));
  const paramColumns = differing.filter((p) => !NOT_HYPERPARAMETERS.has(p));
  const metricNames: string[] = [];
  for (const e of entries) for (const m of Object.keys(e.metrics)) if (!metricNames.includes(m)) metricNames.push(m);
  const columns: RunsTableColumn[] = [
    ...BEFORE.map((id) => ({ id, label: LABELS[id], group: 'run' as const, numeric: false })),
    ...paramColumns.map((p) => ({ id: `param:${p}`, label: p, group: 'param' as const, numeric: entries.every((e) => e.params[p] === undefined || typeof e.params[p] === 'number') })),
    ...metricNames.map((m) => ({ id: `metric:${m}`, label: m, group: 'metric' as const, numeric: true })),
    ...AFTER.map((id) => ({ id, label: LABELS[id], group: 'run' as const, numeric: id === 'duration' })),
  ];
  const rows = entries.map((e): RunsTableRow => {
    const params: Params = {};
    for (const p of differing) if (e.params[p] !== undefined) params[p] = e.params[p];
    return {
      runDir: e.runDir, runId: e.runId, ...(e.name ? { name: e.name } : {}), experiment: e.experiment, kind: e.kind, status: e.status, policy: e.policy,
      params, metrics: e.metrics, ...(e.durationSeconds !== undefined ? { durationSeconds: e.durationSeconds } : {}), startedAt: e.startedAt, tags: e.tags, note: e.note,
    };
  });
  return { columns, rows };
}

/** A cell's value for sorting and filtering (undefined: empty). */
export function cellValue(row: RunsTableRow, columnId: string): ParamValue | undefined {
  if (columnId.startsWith('param:')) return row.params[columnId.slice(6)];
  if (columnId.startsWith('metric:')) return row.metrics[columnId.slice(7)];
  switch (columnId) {
    case 'run': return row.name ?? row.runId;
    case 'duration': return row.durationSeconds;
    case 'started': return row.startedAt;
    case 'tags': return row.tags.join(', ');
    default: return (row as unknown as Record<string, string>)[columnId];
  }
}

/** A cell as people read it: metrics that are fractions as percentages, times, dates. */
export function cellText(row: RunsTableRow, column: RunsTableColumn): string {
  const v = cellValue(row, column.id);
  if (v === undefined || v === '') return '';
  if (column.group === 'metric' && typeof v === 'number') return isFractionMetric(column.id) ? formatPercent(v, 2) : v.toFixed(4);
  if (column.id === 'duration' && typeof v === 'number') return formatSeconds(v);
  if (column.id === 'started' && typeof v === 'string') return formatStarted(v);
  return formatParam(v);
}

function isFractionMetric(id: string): boolean {
  return /(accuracy|precision|recall|f1|saved)/i.test(id);
}

/** "2026-11-01 08:00" in the viewer's time zone. */
export function formatStarted(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export interface SortOrder {
  column: string;
  descending: boolean;
}

/** Sorted rows (a new array): numbers by value, text naturally; empty cells last either way. */
export function sortRows(rows: readonly RunsTableRow[], order: SortOrder | undefined): RunsTableRow[] {
  if (!order) return rows.slice();
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  const sign = order.descending ? -1 : 1;
  const keyed = rows.map((row, i) => ({ row, i, v: cellValue(row, order.column) }));
  keyed.sort((x, y) => {
    const ex = x.v === undefined || x.v === '';
    const ey = y.v === undefined || y.v === '';
    if (ex || ey) return ex && ey ? x.i - y.i : ex ? 1 : -1;
    const c = typeof x.v === 'number' && typeof y.v === 'number' ? x.v - y.v : collator.compare(formatParam(x.v), formatParam(y.v));
    return c !== 0 ? sign * c : x.i - y.i;
  });
  return keyed.map((k) => k.row);
}

/**
 * Rows matching a filter: space-separated terms, all of which must match. A term is free text
 * (in any cell), `column:text` (text in that column; column by label or id, e.g. `policy:smartfrz`,
 * `tags:baseline`, `training.batchSize:64`), or `column>n`, `<`, `>=`, `<=`, `=` for numbers
 * (`accuracy>0.95`, `duration<60`). Case-insensitive.
 */
export function filterRows(rows: readonly RunsTableRow[], columns: readonly RunsTableColumn[], query: string): RunsTableRow[] {
  const terms = parseFilter(query, columns);
  if (terms.length === 0) return rows.slice();
  return rows.filter((row) => terms.every((t) => matches(row, columns, t)));
}

type Term = { text: string } | { column: RunsTableColumn; op: ':' | '=' | '>' | '<' | '>=' | '<='; value: string };

export function parseFilter(query: string, columns: readonly RunsTableColumn[]): Term[] {
  const terms: Term[] = [];
  for (const token of query.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([^:<>=]+)(:|>=|<=|=|>|<)(.*)$/.exec(token);
    const column = m ? findColumn(columns, m[1]) : undefined;
    if (m && column) terms.push({ column, op: m[2] as ':', value: m[3].toLowerCase() });
    else terms.push({ text: token.toLowerCase() });
  }
  return terms;
}

function findColumn(columns: readonly RunsTableColumn[], key: string): RunsTableColumn | undefined {
  const k = key.toLowerCase();
  return columns.find((c) => c.id.toLowerCase() === k || c.label.toLowerCase() === k) ?? columns.find((c) => c.label.toLowerCase().endsWith(`.${k}`));
}

function matches(row: RunsTableRow, columns: readonly RunsTableColumn[], t: Term): boolean {
  if ('text' in t) return columns.some((c) => cellText(row, c).toLowerCase().includes(t.text) || String(cellValue(row, c.id) ?? '').toLowerCase().includes(t.text));
  const v = cellValue(row, t.column.id);
  if (t.op === ':') return v !== undefined && (formatParam(v).toLowerCase().includes(t.value) || cellText(row, t.column).toLowerCase().includes(t.value));
  const n = Number(t.value.replace(/%$/, '')) / (t.value.endsWith('%') ? 100 : 1);
  if (typeof v !== 'number' || !Number.isFinite(n)) return t.op === '=' && v !== undefined && formatParam(v).toLowerCase() === t.value;
  switch (t.op) {
    case '=': return v === n;
    case '>': return v > n;
    case '<': return v < n;
    case '>=': return v >= n;
    case '<=': return v <= n;
  }
}

/** The rows to draw for a scroll position (virtualised rows), with `overscan` rows either side. */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, total: number, overscan = 8): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

/** The hyperparameters that differ among the selected rows (the comparison's config diff). */
export function selectionDiff(rows: readonly RunsTableRow[]): { path: string; values: (ParamValue | undefined)[] }[] {
  return differingPaths(rows.map((r) => r.params)).map((path) => ({ path, values: rows.map((r) => r.params[path]) }));
}
