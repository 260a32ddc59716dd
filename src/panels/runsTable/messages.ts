import type { RunsTableColumn, RunsTableModel, RunsTableRow, SortOrder } from './viewModel';
import type { Notice } from '../shared/messages';
import { isExportRequest, type ExportRequest } from '../shared/export';
import { isFiniteNumber, isNotice, isRecord, isRendererError, isShortString } from '../shared/validators';

/**
 * The message contract between the runs table's host side (`src/vscode/runsTable/`) and its
 * renderer (`webview/runsTable/`). Both sides validate what they receive.
 */
export type HostToWebview =
  /** Every run (sent on open and whenever the run store changes). */
  | { type: 'table'; model: RunsTableModel }
  | Notice;

/** What can be edited about a run (stored in its folder's `meta.json`). */
export type MetaField = 'name' | 'tags' | 'note';

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'refresh' }
  /** The selected runs in one timeline, overlaid (one run: its own timeline). */
  | { type: 'compare'; runDirs: string[] }
  | { type: 'edit'; runDir: string; field: MetaField }
  | { type: 'reveal'; runDir: string }
  /** The rows and columns shown, as CSV or JSON, saved where the user picks. */
  | ExportRequest
  | { type: 'error'; message: string };

/** What the webview persists with `setState` (restored after a reload). */
export interface RunsTableState {
  sort?: SortOrder;
  filter: string;
  selected: string[];
  /** Columns the user showed (true) or hid (false) in the column chooser; others as the model says. */
  columns?: Record<string, boolean>;
  /** The latest comparisons (run folders of each overlay, newest first), reopenable from the table. */
  comparisons?: string[][];
}

/** How many comparisons the table remembers. */
export const MAX_COMPARISONS = 8;

/** At most this many runs in one comparison (the timeline draws each as a line). */
export const MAX_COMPARE = 20;
const MAX_ROWS = 100_000;
const FIELDS = new Set(['name', 'tags', 'note']);

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return true;
    case 'compare':
      return Array.isArray(m.runDirs) && m.runDirs.length > 0 && m.runDirs.length <= MAX_COMPARE && m.runDirs.every(isShortString);
    case 'edit':
      return isShortString(m.runDir) && FIELDS.has(m.field as string);
    case 'reveal':
      return isShortString(m.runDir);
    case 'export':
      return (m.format === 'csv' || m.format === 'json') && isExportRequest(m);
    case 'error':
      return isRendererError(m);
    default:
      return false;
  }
}

export function isHostToWebview(m: unknown): m is HostToWebview {
  if (!isRecord(m)) return false;
  switch (m.type) {
    case 'table':
      return isRecord(m.model) && Array.isArray(m.model.columns) && m.model.columns.every(isColumn) &&
        Array.isArray(m.model.rows) && m.model.rows.length <= MAX_ROWS && m.model.rows.every(isRow);
    case 'notice':
      return isNotice(m);
    default:
      return false;
  }
}

export function isRunsTableState(s: unknown): s is RunsTableState {
  return isRecord(s) && typeof s.filter === 'string' && s.filter.length <= 1000 &&
    Array.isArray(s.selected) && s.selected.length <= MAX_ROWS && s.selected.every(isShortString) &&
    (s.sort === undefined || (isRecord(s.sort) && isShortString(s.sort.column) && typeof s.sort.descending === 'boolean')) &&
    (s.columns === undefined || (isRecord(s.columns) && Object.keys(s.columns).length <= 10_000 && Object.values(s.columns).every((v) => typeof v === 'boolean'))) &&
    (s.comparisons === undefined || (Array.isArray(s.comparisons) && s.comparisons.length <= MAX_COMPARISONS &&
      s.comparisons.every((c) => Array.isArray(c) && c.length >= 2 && c.length <= MAX_COMPARE && c.every(isShortString))));
}

function isColumn(c: unknown): c is RunsTableColumn {
  return isRecord(c) && isShortString(c.id) && typeof c.label === 'string' && ['run', 'param', 'metric', 'provenance'].includes(c.group as string) && typeof c.numeric === 'boolean' &&
    (c.hidden === undefined || typeof c.hidden === 'boolean');
}

const isParamValue = (v: unknown): boolean =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)));

function isRow(r: unknown): r is RunsTableRow {
  return (
    isRecord(r) &&
    ['runDir', 'runId', 'experiment', 'kind', 'status', 'policy', 'startedAt', 'note'].every((k) => typeof r[k] === 'string') &&
    (r.name === undefined || typeof r.name === 'string') &&
    (r.durationSeconds === undefined || isFiniteNumber(r.durationSeconds)) &&
    Array.isArray(r.tags) && r.tags.every((t) => typeof t === 'string') &&
    isRecord(r.params) && Object.values(r.params).every(isParamValue) &&
    isRecord(r.metrics) && Object.values(r.metrics).every(isFiniteNumber) &&
    isRecord(r.provenance) && Object.values(r.provenance).every(isParamValue) &&
    (r.proven === undefined || isFiniteNumber(r.proven))
  );
}
