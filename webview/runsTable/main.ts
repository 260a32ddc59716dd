/**
 * The runs table (browser side): one row per run, sortable by any column (click its header),
 * filtered by a query (`policy:smartfrz accuracy>0.95 tags:baseline`), multi-select (click,
 * Ctrl/Cmd-click, Shift-click, the checkboxes), and virtualised: only the rows in view (and a
 * few either side) are in the DOM, so 500 or 50,000 runs scroll alike. The selected runs open in
 * one timeline (Compare) and show the configuration fields in which they differ. Everything from
 * the host is validated and written with `textContent`.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isHostToWebview, isRunsTableState, MAX_COMPARE, MAX_COMPARISONS, type MetaField, type RunsTableState, type WebviewToHost } from '../../src/panels/runsTable/messages';
import { toCsv } from '../../src/panels/shared/export';
import {
  cellText, filterRows, formatParam, provenText, selectionDiff, sortRows, tableCells, tableRecords, visibleColumns, visibleRange,
  type RunsTableColumn, type RunsTableModel, type RunsTableRow,
} from '../../src/panels/runsTable/viewModel';
import css from './runsTable.css';
import { acquireHost, el, forwardErrors, injectStyles, onNextFrame } from '../shared/dom';
import { exportBar } from '../shared/export';

const vscode = acquireHost<WebviewToHost, RunsTableState>();
injectStyles(css);
forwardErrors((m) => vscode.postMessage(m));

const ROW_HEIGHT = 26;
const STATUS_ICONS: Record<string, string> = {
  running: 'sync', completed: 'pass-filled', cancelled: 'circle-slash', failed: 'error', interrupted: 'debug-pause', diverged: 'warning',
};
const WIDTHS: Record<string, number> = { status: 112, run: 230, experiment: 140, kind: 90, policy: 100, duration: 96, started: 136, tags: 150, note: 220, proven: 120 };

const saved = vscode.getState();
const state: RunsTableState = isRunsTableState(saved) ? saved : { filter: '', selected: [] };
let model: RunsTableModel = { columns: [], rows: [] };
/** The columns shown (the model's, as the column chooser leaves them). */
let columns: RunsTableColumn[] = [];
let view: RunsTableRow[] = [];
let selected = new Set(state.selected);
let anchor: string | undefined;

const app = document.getElementById('app') as HTMLElement;

function button(id: string, label: string, icon: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.setAttribute('icon', icon);
  b.setAttribute('secondary', '');
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

// Layout: header (title, counts, actions), filter, notices, the scrolling table, the selection's diff.
const header = el('header');
const title = el('h2', undefined, 'Runs');
const count = el('span', 'count muted');
const actions = el('div', 'actions');
const compareButton = button('compare', 'Compare', 'graph-line', () => compare(selectedInOrder().slice(0, MAX_COMPARE)));

/** Opens runs in the timeline; an overlay of several is remembered, to reopen from the table. */
function compare(runDirs: string[]): void {
  if (runDirs.length === 0) return;
  send({ type: 'compare', runDirs });
  if (runDirs.length < 2) return;
  const key = JSON.stringify([...runDirs].sort());
  state.comparisons = [runDirs, ...(state.comparisons ?? []).filter((c) => JSON.stringify([...c].sort()) !== key)].slice(0, MAX_COMPARISONS);
  persist();
  renderReopen();
}

// Reopen a comparison: the latest overlays, by their runs' names.
const reopen = el('select', 'reopen');
reopen.id = 'reopen';
reopen.title = 'Open an earlier comparison in the timeline again';
reopen.addEventListener('change', () => {
  const runDirs = state.comparisons?.[Number(reopen.value)];
  reopen.value = '';
  if (runDirs) compare(runDirs.filter((d) => model.rows.some((r) => r.runDir === d)));
});

function renderReopen(): void {
  const byDir = new Map(model.rows.map((r) => [r.runDir, r]));
  const options = [Object.assign(el('option', undefined, 'Reopen comparison…'), { value: '' })];
  (state.comparisons ?? []).forEach((c, i) => {
    const present = c.filter((d) => byDir.has(d));
    if (present.length < 2) return;
    const names = present.map((d) => byDir.get(d)!.name ?? byDir.get(d)!.runId);
    const o = el('option', undefined, `${present.length} runs: ${names.join(', ')}`.slice(0, 160));
    o.value = String(i);
    options.push(o);
  });
  reopen.replaceChildren(...options);
  reopen.hidden = options.length === 1;
}
const edit = (field: MetaField) => () => {
  const [runDir] = selectedInOrder();
  if (runDir) send({ type: 'edit', runDir, field });
};
const nameButton = button('edit-name', 'Rename', 'edit', edit('name'));
const tagsButton = button('edit-tags', 'Tags', 'tag', edit('tags'));
const noteButton = button('edit-note', 'Note', 'note', edit('note'));
const chooser = el('div', 'column-chooser');
chooser.id = 'column-chooser';
chooser.hidden = true;
const columnsButton = button('columns', 'Columns', 'list-selection', () => {
  chooser.hidden = !chooser.hidden;
  if (!chooser.hidden) renderChooser();
});
actions.append(reopen, compareButton, nameButton, tagsButton, noteButton, columnsButton, button('refresh', 'Refresh', 'refresh', () => send({ type: 'refresh' })));
header.append(title, count, actions);

// Export: the rows and columns shown, as the table shows them (CSV) or as data (JSON).
const exportName = () => (state.filter.trim() ? 'runs-filtered' : 'runs');
const exports = exportBar(
  [
    { format: 'csv', label: 'CSV', name: exportName, content: () => {
      const { header: h, cells } = tableCells(view, columns);
      return toCsv(['Run folder', ...h], cells.map((c, i) => [view[i].runDir, ...c]));
    } },
    { format: 'json', label: 'JSON', name: exportName, content: () => JSON.stringify(tableRecords(view, columns), null, 2) + '\n' },
  ],
  (m) => send(m),
  (message) => send({ type: 'error', message }),
);
exports.id = 'export';

const filter = el('input', 'filter');
filter.id = 'filter';
filter.type = 'search';
filter.placeholder = 'Filter: text, policy:smartfrz, accuracy>0.95, tags:baseline, training.batchSize=64';
filter.setAttribute('aria-label', 'Filter runs');
filter.value = state.filter;
filter.addEventListener('input', () => {
  state.filter = filter.value;
  refreshView();
});

const notices = el('div', 'notices');
const scroller = el('div', 'scroller');
scroller.tabIndex = 0;
scroller.setAttribute('role', 'grid');
const table = el('table', 'grid');
const colgroup = el('colgroup');
const thead = el('thead');
const tbody = el('tbody');
const topSpacer = el('tr', 'spacer');
const bottomSpacer = el('tr', 'spacer');
const topGap = topSpacer.appendChild(el('td'));
const bottomGap = bottomSpacer.appendChild(el('td'));
table.append(colgroup, thead, tbody);
scroller.append(table);
const diff = el('section', 'diff');
diff.id = 'diff';
app.append(header, chooser, filter, notices, scroller, exports, diff);

function send(m: WebviewToHost): void {
  vscode.postMessage(m);
}

function persist(): void {
  state.selected = [...selected];
  vscode.setState(state);
}

/** The selected runs in the table's current order (hidden ones after them). */
function selectedInOrder(): string[] {
  const shown = view.filter((r) => selected.has(r.runDir)).map((r) => r.runDir);
  return [...shown, ...[...selected].filter((d) => !shown.includes(d))];
}

/** The column chooser: a checkbox per column, grouped; the choice is kept in the state. */
function renderChooser(): void {
  const groups: [string, RunsTableColumn['group']][] = [['Run', 'run'], ['Hyperparameters', 'param'], ['Metrics', 'metric'], ['Provenance', 'provenance']];
  const parts: HTMLElement[] = [];
  for (const [label, group] of groups) {
    const cols = model.columns.filter((c) => c.group === group);
    if (!cols.length) continue;
    const fieldset = el('fieldset');
    fieldset.append(el('legend', undefined, label));
    for (const c of cols) {
      const box = el('input');
      box.type = 'checkbox';
      box.dataset.col = c.id;
      box.checked = columns.includes(c);
      box.addEventListener('change', () => {
        state.columns = { ...state.columns, [c.id]: box.checked };
        applyColumns();
      });
      const l = el('label');
      l.append(box, el('span', undefined, ` ${c.label}`));
      fieldset.append(l);
    }
    parts.push(fieldset);
  }
  chooser.replaceChildren(...parts);
}

function applyColumns(): void {
  columns = visibleColumns(model.columns, state.columns);
  renderHead();
  refreshView();
}

function renderHead(): void {
  colgroup.replaceChildren(Object.assign(el('col'), { className: 'select' }));
  const tr = el('tr');
  const all = el('input');
  all.type = 'checkbox';
  all.id = 'select-all';
  all.title = 'Select all shown runs';
  all.addEventListener('change', () => {
    if (all.checked) view.forEach((r) => selected.add(r.runDir));
    else view.forEach((r) => selected.delete(r.runDir));
    afterSelection();
  });
  const th0 = el('th', 'select');
  th0.append(all);
  tr.append(th0);
  for (const c of columns) {
    const col = el('col');
    col.style.width = `${WIDTHS[c.id] ?? (c.group === 'metric' ? 110 : c.group === 'provenance' ? 120 : 130)}px`;
    colgroup.append(col);
    const th = el('th', `${c.group}${c.numeric ? ' num' : ''}`);
    th.dataset.col = c.id;
    th.title = `${c.label}\nClick to sort`;
    const sorted = state.sort?.column === c.id;
    th.setAttribute('aria-sort', sorted ? (state.sort!.descending ? 'descending' : 'ascending') : 'none');
    th.append(el('span', 'label', c.label));
    if (sorted) th.append(el('span', `codicon codicon-arrow-${state.sort!.descending ? 'down' : 'up'}`));
    th.tabIndex = 0;
    const sortHere = () => {
      state.sort = sorted ? { column: c.id, descending: !state.sort!.descending } : { column: c.id, descending: c.numeric || c.id === 'started' };
      renderHead();
      refreshView();
      (thead.querySelector(`th[data-col="${CSS.escape(c.id)}"]`) as HTMLElement | null)?.focus();
    };
    th.addEventListener('click', sortHere);
    th.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        sortHere();
      }
    });
    tr.append(th);
  }
  thead.replaceChildren(tr);
  topGap.colSpan = bottomGap.colSpan = columns.length + 1;
}

function renderCell(row: RunsTableRow, c: RunsTableColumn): HTMLTableCellElement {
  const text = cellText(row, c);
  const td = el('td', `${c.group}${c.numeric ? ' num' : ''}`);
  td.dataset.col = c.id;
  if (c.id === 'status') {
    td.append(el('span', `codicon codicon-${STATUS_ICONS[row.status] ?? 'circle-outline'} status-${row.status}`), el('span', undefined, ` ${text}`));
  } else if (c.id === 'tags') {
    for (const t of row.tags) td.append(el('span', 'tag', t));
  } else if (c.id === 'proven') {
    if (row.proven !== undefined) td.append(el('span', 'tag proven', provenText(row.proven)));
  } else td.textContent = text;
  td.title = c.id === 'run' ? `${row.name ? `${row.name}\n` : ''}${row.runId}\n${row.runDir}${row.note ? `\n\n${row.note}` : ''}`
    : c.id === 'proven' && text ? `${text}: a zero-knowledge proof that the committed test predictions reach this accuracy (check it with model-lab verify)`
      : c.group === 'provenance' ? String(row.provenance[c.id.slice(5)] ?? '') : text;
  return td;
}

/** Draws the rows in view (virtualised): spacers stand for the rows above and below. */
function renderRows(): void {
  const { first, last } = visibleRange(scroller.scrollTop, scroller.clientHeight || 600, ROW_HEIGHT, view.length);
  // Spacer rows stand for the rows not drawn (CSSOM styles, which the CSP allows).
  topGap.style.height = `${first * ROW_HEIGHT}px`;
  bottomGap.style.height = `${(view.length - last) * ROW_HEIGHT}px`;
  topSpacer.hidden = first === 0;
  bottomSpacer.hidden = last === view.length;
  const rows: HTMLElement[] = [topSpacer];
  for (let i = first; i < last; i++) {
    const row = view[i];
    const tr = el('tr', `run${selected.has(row.runDir) ? ' selected' : ''}`);
    tr.dataset.run = row.runDir;
    tr.dataset.index = String(i);
    tr.setAttribute('aria-selected', String(selected.has(row.runDir)));
    const box = el('input');
    box.type = 'checkbox';
    box.checked = selected.has(row.runDir);
    box.setAttribute('aria-label', `Select ${row.name ?? row.runId}`);
    const td0 = el('td', 'select');
    td0.append(box);
    tr.append(td0, ...columns.map((c) => renderCell(row, c)));
    rows.push(tr);
  }
  rows.push(bottomSpacer);
  tbody.replaceChildren(...rows);
}

function renderCount(): void {
  const n = model.rows.length;
  count.textContent = `${view.length === n ? `${n}` : `${view.length} of ${n}`} run${n === 1 ? '' : 's'}${selected.size ? ` · ${selected.size} selected` : ''}`;
  const one = selected.size === 1;
  for (const b of [nameButton, tagsButton, noteButton]) b.toggleAttribute('disabled', !one);
  compareButton.toggleAttribute('disabled', selected.size === 0);
  compareButton.textContent = selected.size === 1 ? 'Open Timeline' : selected.size > MAX_COMPARE ? `Compare first ${MAX_COMPARE}` : 'Compare';
  const all = document.getElementById('select-all') as HTMLInputElement | null;
  if (all) all.checked = view.length > 0 && view.every((r) => selected.has(r.runDir));
}

/** The configuration fields in which the selected runs differ (only those). */
function renderDiff(): void {
  const rows = selectedInOrder().map((d) => model.rows.find((r) => r.runDir === d)).filter((r): r is RunsTableRow => r !== undefined);
  if (rows.length < 2) {
    diff.replaceChildren();
    diff.hidden = true;
    return;
  }
  diff.hidden = false;
  const fields = selectionDiff(rows);
  const h = el('h3', undefined, fields.length ? `Differences of ${rows.length} selected runs (configuration, then provenance)` : `The ${rows.length} selected runs have the same configuration and provenance`);
  if (!fields.length) {
    diff.replaceChildren(h);
    return;
  }
  const t = el('table', 'diff-table');
  const hr = el('tr');
  hr.append(el('th', undefined, 'field'), ...rows.map((r) => el('th', undefined, r.name ?? r.runId)));
  const body = el('tbody');
  for (const f of fields) {
    const tr = el('tr', f.provenance ? 'provenance' : undefined);
    tr.append(el('td', 'path', f.path), ...f.values.map((v) => el('td', undefined, formatParam(v))));
    body.append(tr);
  }
  const head = el('thead');
  head.append(hr);
  t.append(head, body);
  diff.replaceChildren(h, t);
}

function afterSelection(): void {
  persist();
  markSelection();
  renderCount();
  renderDiff();
}

/** Marks the drawn rows selected or not, in place (a redraw between the clicks of a double-click would lose it). */
function markSelection(): void {
  for (const tr of Array.from(tbody.querySelectorAll<HTMLElement>('tr.run'))) {
    const on = selected.has(tr.dataset.run!);
    tr.classList.toggle('selected', on);
    tr.setAttribute('aria-selected', String(on));
    const box = tr.querySelector<HTMLInputElement>('td.select input');
    if (box) box.checked = on;
  }
}

/** Filter and sort again, then draw. Free text searches the columns shown; `column:value` terms any column. */
function refreshView(): void {
  view = sortRows(filterRows(model.rows, model.columns, state.filter, columns), state.sort);
  persist();
  renderRows();
  renderCount();
  renderDiff();
}

scroller.addEventListener('scroll', () => onNextFrame(renderRows));
window.addEventListener('resize', () => renderRows());

function rowOf(target: EventTarget | null): HTMLElement | null {
  return (target as HTMLElement | null)?.closest<HTMLElement>('tr.run') ?? null;
}

tbody.addEventListener('click', (e) => {
  const tr = rowOf(e.target);
  if (!tr) return;
  const runDir = tr.dataset.run!;
  const index = Number(tr.dataset.index);
  const box = (e.target as HTMLElement).closest('td.select') !== null;
  if (e.shiftKey && anchor !== undefined) {
    const from = view.findIndex((r) => r.runDir === anchor);
    const [a, b] = from < 0 ? [index, index] : [Math.min(from, index), Math.max(from, index)];
    if (!(e.ctrlKey || e.metaKey)) selected.clear();
    for (let i = a; i <= b; i++) selected.add(view[i].runDir);
  } else if (box || e.ctrlKey || e.metaKey) {
    if (selected.has(runDir)) selected.delete(runDir);
    else selected.add(runDir);
    anchor = runDir;
  } else {
    selected = new Set([runDir]);
    anchor = runDir;
  }
  afterSelection();
});

tbody.addEventListener('dblclick', (e) => {
  const tr = rowOf(e.target);
  if (!tr) return;
  const col = (e.target as HTMLElement).closest<HTMLElement>('td')?.dataset.col;
  const field = col === 'run' ? 'name' : col === 'tags' || col === 'note' ? col : undefined;
  if (field) send({ type: 'edit', runDir: tr.dataset.run!, field });
  else send({ type: 'compare', runDirs: [tr.dataset.run!] });
});

// Keyboard: arrows move the selection, Shift extends it, Enter opens the selection.
scroller.addEventListener('keydown', (e) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Enter') return;
  e.preventDefault();
  if (e.key === 'Enter') {
    if (selected.size) compare(selectedInOrder().slice(0, MAX_COMPARE));
    return;
  }
  const current = anchor === undefined ? -1 : view.findIndex((r) => r.runDir === anchor);
  const next = Math.max(0, Math.min(view.length - 1, current + (e.key === 'ArrowDown' ? 1 : -1)));
  if (!view[next]) return;
  if (!e.shiftKey) selected.clear();
  selected.add(view[next].runDir);
  anchor = view[next].runDir;
  const top = next * ROW_HEIGHT;
  if (top < scroller.scrollTop) scroller.scrollTop = top;
  else if (top + 2 * ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + 2 * ROW_HEIGHT - scroller.clientHeight;
  afterSelection();
});

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) {
    send({ type: 'error', message: 'ignored a malformed message from the extension host' });
    return;
  }
  if (m.type === 'notice') {
    notices.replaceChildren(el('div', `notice ${m.level}`, m.text));
    return;
  }
  model = m.model;
  // Runs that are gone are no longer selected; a sort by a column that is gone is dropped.
  const present = new Set(model.rows.map((r) => r.runDir));
  selected = new Set([...selected].filter((d) => present.has(d)));
  if (state.sort && !model.columns.some((c) => c.id === state.sort!.column)) state.sort = undefined;
  columns = visibleColumns(model.columns, state.columns);
  if (!chooser.hidden) renderChooser();
  renderReopen();
  app.classList.toggle('empty', model.rows.length === 0);
  notices.replaceChildren(...(model.rows.length === 0 ? [el('div', 'notice info', 'No runs in this workspace yet. Run an experiment (right-click an *.experiment.json file > Run Experiment).')] : []));
  renderHead();
  refreshView();
});

send({ type: 'ready' });
