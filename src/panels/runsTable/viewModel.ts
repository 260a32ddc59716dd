import { differingFields, differingPaths, formatParam, type ParamValue, type Params } from '../../core/runs/compare';
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
  /** Provenance fields (`runner/provenanceFields.ts`); absent for a run without `provenance.json`. */
  provenance?: Params;
  /** The highest accuracy a zero-knowledge proof of the run claims ("proven ≥ 0.85"). */
  proven?: number;
}

export { formatParam };

/**
 * The runs table's view model: one row per run, columns for what every run has (status,
 * experiment, kind, policy, duration, started, tags), one per hyperparameter that differs
 * between the runs, and one per metric. Sorting, filtering and the window of rows to draw
 * (the table is virtualised) are pure functions here, shared by the host and the webview.
 */
export type ColumnGroup = 'run' | 'param' | 'metric' | 'provenance';

export interface RunsTableColumn {
  id: string;
  label: string;
  group: ColumnGroup;
  numeric: boolean;
  /** Not shown until the user picks it in the column chooser (provenance). */
  hidden?: boolean;
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
  /** The provenance fields that have columns (`PROVENANCE_COLUMNS`). */
  provenance: Params;
  proven?: number;
}

export interface RunsTableModel {
  columns: RunsTableColumn[];
  rows: RunsTableRow[];
}

/** Fields that have their own column or are not hyperparameters. */
const NOT_HYPERPARAMETERS = new Set(['kind', 'name', 'description', 'freezing.policy']);

const BEFORE = ['status', 'run', 'experiment', 'kind', 'policy'];
const AFTER = ['duration', 'started', 'tags', 'note'];
const LABELS: Record<string, string> = { status: 'Status', run: 'Run', experiment: 'Experiment', kind: 'Kind', policy: 'Policy', duration: 'Duration', started: 'Started', tags: 'Tags', note: 'Note', proven: 'Proven' };

/** Provenance fields with a column (hidden until chosen), by field: its label. */
export const PROVENANCE_COLUMNS: Record<string, string> = {
  'git.commit': 'Git commit', 'git.dirty': 'Git dirty', modelLab: 'Model Lab', node: 'Node', tfjs: 'TF.js', backend: 'Backend', 'data.sha256': 'Data hash',
};

export function runsTableModel(entries: readonly RunsTableInput[]): RunsTableModel {
  const differing = differingPaths(entries.map((e) => e.params));
  const paramColumns = differing.filter((p) => !NOT_HYPERPARAMETERS.has(p));
  const metricNames: string[] = [];
  for (const e of entries) for (const m of Object.keys(e.metrics)) if (!metricNames.includes(m)) metricNames.push(m);
  const columns: RunsTableColumn[] = [
    ...BEFORE.map((id) => ({ id, label: LABELS[id], group: 'run' as const, numeric: false })),
    ...paramColumns.map((p) => ({ id: `param:${p}`, label: p, group: 'param' as const, numeric: entries.every((e) => e.params[p] === undefined || typeof e.params[p] === 'number') })),
    ...metricNames.map((m) => ({ id: `metric:${m}`, label: m, group: 'metric' as const, numeric: true })),
    ...(entries.some((e) => e.proven !== undefined) ? [{ id: 'proven', label: LABELS.proven, group: 'run' as const, numeric: true }] : []),
    ...AFTER.map((id) => ({ id, label: LABELS[id], group: 'run' as const, numeric: id === 'duration' })),
    ...Object.entries(PROVENANCE_COLUMNS)
      .filter(([field]) => entries.some((e) => e.provenance?.[field] !== undefined))
      .map(([field, label]) => ({ id: `prov:${field}`, label, group: 'provenance' as const, numeric: false, hidden: true })),
  ];
  const rows = entries.map((e): RunsTableRow => {
    const params: Params = {};
    for (const p of differing) if (e.params[p] !== undefined) params[p] = e.params[p];
    const provenance: Params = {};
    for (const f of Object.keys(PROVENANCE_COLUMNS)) if (e.provenance?.[f] !== undefined) provenance[f] = e.provenance[f];
    return {
      runDir: e.runDir, runId: e.runId, ...(e.name ? { name: e.name } : {}), experiment: e.experiment, kind: e.kind, status: e.status, policy: e.policy,
      params, metrics: e.metrics, ...(e.durationSeconds !== undefined ? { durationSeconds: e.durationSeconds } : {}), startedAt: e.startedAt, tags: e.tags, note: e.note,
      provenance, ...(e.proven !== undefined ? { proven: e.proven } : {}),
    };
  });
  return { columns, rows };
}

/** A cell's value for sorting and filtering (undefined: empty). */
export function cellValue(row: RunsTableRow, columnId: string): ParamValue | undefined {
  if (columnId.startsWith('param:')) return row.params[columnId.slice(6)];
  if (columnId.startsWith('metric:')) return row.metrics[columnId.slice(7)];
  if (columnId.startsWith('prov:')) return row.provenance[columnId.slice(5)];
  switch (columnId) {
    case 'proven': return row.proven;
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
  if (column.id === 'proven' && typeof v === 'number') return provenText(v);
  if (column.group === 'provenance') return provenanceText(column.id.slice(5), v);
  return formatParam(v);
}

/** A provenance field as people read it: a short commit and data hash, "dirty"/"clean". */
export function provenanceText(field: string, v: ParamValue | undefined): string {
  if (field === 'git.commit' && typeof v === 'string') return v.slice(0, 8);
  if (field === 'data.sha256' && typeof v === 'string') return v.slice(0, 12);
  if (field === 'git.dirty' && typeof v === 'boolean') return v ? 'dirty' : 'clean';
  return formatParam(v);
}

/** The badge of a run with a proof: the highest accuracy proven. */
export function provenText(min: number): string {
  return `proven ≥ ${min}`;
}

/** The columns shown: the model's, less those hidden by default or by the user, plus those the user chose (`visibility`: column id -> shown). */
export function visibleColumns(columns: readonly RunsTableColumn[], visibility: Readonly<Record<string, boolean>> = {}): RunsTableColumn[] {
  return columns.filter((c) => visibility[c.id] ?? !c.hidden);
}

/** The rows as a table of text, as shown (for CSV): a header of column labels, then each row's cells. */
export function tableCells(rows: readonly RunsTableRow[], columns: readonly RunsTableColumn[]): { header: string[]; cells: string[][] } {
  return { header: columns.map((c) => c.label), cells: rows.map((r) => columns.map((c) => cellText(r, c))) };
}

/**
 * The rows as data (for JSON): each run's folder and id, then one value per column keyed by the
 * column's label, as stored (numbers as numbers, full hashes, ISO dates); empty cells left out.
 */
export function tableRecords(rows: readonly RunsTableRow[], columns: readonly RunsTableColumn[]): Record<string, ParamValue>[] {
  return rows.map((r) => {
    const out: Record<string, ParamValue> = { runDir: r.runDir, runId: r.runId };
    for (const c of columns) {
      const v = c.id === 'tags' ? r.tags : cellValue(r, c.id);
      if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) out[c.label] = v;
    }
    return out;
  });
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
 * (`accuracy>0.95`, `duration<60`). Case-insensitive. Column terms may name any column; free
 * text searches the columns `shown` (all by default).
 */
export function filterRows(rows: readonly RunsTableRow[], columns: readonly RunsTableColumn[], query: string, shown: readonly RunsTableColumn[] = columns): RunsTableRow[] {
  const terms = parseFilter(query, columns);
  if (terms.length === 0) return rows.slice();
  return rows.filter((row) => terms.every((t) => matches(row, shown, t)));
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
  return columns.find((c) => c.id.toLowerCase() === k || c.label.toLowerCase() === k || c.id.toLowerCase().endsWith(`:${k}`)) ??
    columns.find((c) => c.label.toLowerCase().endsWith(`.${k}`));
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

/** The hyperparameters (then the provenance fields, as text) that differ among the selected rows (the comparison's config diff). */
export function selectionDiff(rows: readonly RunsTableRow[]): { path: string; values: (ParamValue | undefined)[]; provenance?: true }[] {
  return [
    ...differingFields(rows.map((r) => r.params)),
    ...differingFields(rows.map((r) => r.provenance)).map((f) => ({
      path: `provenance: ${PROVENANCE_COLUMNS[f.path] ?? f.path}`, values: f.values.map((v) => (v === undefined ? v : provenanceText(f.path, v))), provenance: true as const,
    })),
  ];
}
