/**
 * Extraction results panel (browser side): the text with entity spans highlighted by type, a
 * colour legend, tables of relations and events, provenance, and Copy/Export JSON; a click (or
 * Enter) on an entity asks the host to select it in its editor; a failed extraction replaces
 * the result with why. The text and the model output are untrusted: everything is built with
 * `textContent`, never `innerHTML`, and every message from the host is validated before use.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isExtractPanelState, isHostToWebview, type ExtractPanelState, type WebviewToHost } from '../../src/panels/extract/messages';
import { confidenceLabel, entityHover, eventRows, highlightSegments, isLowConfidence, LOW_CONFIDENCE, provenance, rationaleMarks, relationRows, typeColors } from '../../src/panels/extract/viewModel';
import css from './extract.css';
import { acquireHost, el, injectStyles } from '../shared/dom';
import { exportBar } from '../shared/export';
import { entitiesCsv, eventsCsv, relationsCsv } from '../../src/panels/extract/csv';

const vscode = acquireHost<WebviewToHost, ExtractPanelState | null>();
injectStyles(css);

const app = document.getElementById('app') as HTMLElement;

function button(label: string, icon: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.setAttribute('icon', icon);
  b.setAttribute('secondary', '');
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

/** Makes `e` stand for entity `index`: clicking it (or Enter on it) reveals the entity in the editor. */
function linkEntity(e: HTMLElement, index: number): void {
  e.dataset.entity = String(index);
  e.tabIndex = 0;
  e.setAttribute('role', 'button');
  e.title = `${e.title ? `${e.title}\n` : ''}Click to show it in the editor`;
}

function revealFrom(target: EventTarget | null): void {
  const linked = (target as HTMLElement | null)?.closest<HTMLElement>('[data-entity]');
  if (linked) vscode.postMessage({ type: 'revealEntity', index: Number(linked.dataset.entity) });
}
// A drag that selects text (to copy it) is not a click on the entity.
app.addEventListener('click', (e) => { if (window.getSelection()?.isCollapsed !== false) revealFrom(e.target); });
app.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    revealFrom(e.target);
    if ((e.target as HTMLElement).closest('[data-entity]')) e.preventDefault();
  }
});

/** A plain table (rows of text cells): selectable text, themed by CSS. */
function table(columns: string[], rows: string[][], cls: string): HTMLElement {
  const t = el('table', cls);
  const head = el('thead');
  const hr = el('tr');
  for (const c of columns) hr.appendChild(el('th', undefined, c));
  head.appendChild(hr);
  const body = el('tbody');
  for (const r of rows) {
    const row = el('tr');
    for (const cell of r) row.appendChild(el('td', undefined, cell));
    body.appendChild(row);
  }
  t.append(head, body);
  return t;
}

function renderNotice(level: string, text: string): void {
  const n = el('div', `notice ${level}`, text);
  app.prepend(n);
}

/** The latest extraction failed: the previous result goes, the reason stays. */
function renderFailure(source: string, text: string): void {
  const header = el('header');
  const title = el('div', 'title');
  title.append(el('h2', undefined, source));
  header.append(title);
  app.replaceChildren(header, el('div', 'notice error', text));
}

function render(state: ExtractPanelState): void {
  const { text, result } = state;
  const colors = typeColors(state.entityTypes, result.entities);
  const prov = provenance(result);
  app.replaceChildren();

  const header = el('header');
  const title = el('div', 'title');
  title.append(el('h2', undefined, state.source), el('span', 'muted', ` schema ${state.schemaName}`));
  const actions = el('div', 'actions');
  actions.append(
    button('Copy JSON', 'copy', () => vscode.postMessage({ type: 'copyJson' })),
    button('Export JSON', 'save', () => vscode.postMessage({ type: 'exportJson' })),
  );
  header.append(title, actions);
  const base = `extraction-${state.source}`;
  const csvBar = exportBar([
    { format: 'csv', label: 'Entities CSV', name: () => `${base}-entities`, content: () => entitiesCsv(result) },
    { format: 'csv', label: 'Relations CSV', name: () => `${base}-relations`, content: () => relationsCsv(result) },
    { format: 'csv', label: 'Events CSV', name: () => `${base}-events`, content: () => eventsCsv(result) },
  ], (m) => vscode.postMessage(m), (message) => vscode.postMessage({ type: 'error', message: message.slice(0, 2000) }));

  const provenanceLine = el('div', 'provenance');
  provenanceLine.append(el('span', 'codicon codicon-server-process'), el('span', undefined, ` Provider: ${prov.provider}. Grounding: ${prov.grounding}.`));
  if (prov.dropped) provenanceLine.append(el('span', 'dropped', ` ${prov.dropped}.`));

  const legend = el('div', 'legend');
  for (const [type, color] of colors) {
    const n = result.entities.filter((e) => e.type === type).length;
    const item = el('span', `legend-item c-${color}`);
    item.append(el('span', 'swatch'), el('span', undefined, `${type} (${n})`));
    legend.appendChild(item);
  }

  // Rationale words (indexes past the entities) are cut like entity spans and drawn dotted.
  const marks = rationaleMarks(result);
  const entityCount = result.entities.length;
  const textView = el('div', 'text');
  for (const seg of highlightSegments(text, [...result.entities, ...marks])) {
    const covering = seg.entities.filter((i) => i < entityCount);
    if (covering.length === 0) {
      const why = seg.entities.map((i) => marks[i - entityCount].hover);
      if (why.length === 0) textView.appendChild(document.createTextNode(seg.text));
      else {
        const word = el('span', 'rationale', seg.text);
        word.title = why.join('\n');
        textView.appendChild(word);
      }
      continue;
    }
    seg.entities = covering;
    const inner = result.entities[seg.entities[seg.entities.length - 1]];
    const low = seg.entities.some((i) => isLowConfidence(result.entities[i]));
    const mark = el('mark', `entity c-${colors.get(inner.type) ?? 'blue'}${seg.entities.length > 1 ? ' nested' : ''}${low ? ' low' : ''}`, seg.text);
    mark.title = seg.entities.map((i) => entityHover(result.entities[i], result.provider)).join('\n');
    mark.dataset.type = inner.type;
    linkEntity(mark, seg.entities[seg.entities.length - 1]);
    textView.appendChild(mark);
  }

  // Calibrated confidences (the built-in model): uncertain spans are dashed, and the table says so.
  const withConfidence = result.entities.some((e) => e.confidence !== undefined);
  if (result.entities.some(isLowConfidence)) {
    const item = el('span', 'legend-item');
    item.append(el('span', 'swatch low'), el('span', undefined, `confidence below ${LOW_CONFIDENCE} (${result.entities.filter(isLowConfidence).length})`));
    legend.appendChild(item);
  }

  app.append(header, csvBar, provenanceLine, legend, textView);

  app.appendChild(el('h3', undefined, `Entities (${result.entities.length})`));
  if (result.entities.length) {
    const entities = table(['Type', 'Text', 'Offsets', 'Grounding', ...(withConfidence ? ['Confidence'] : [])],
      result.entities.map((e) => [e.type, e.text, `${e.start}–${e.end}`, e.grounding ?? 'exact', ...(withConfidence ? [confidenceLabel(e)] : [])]), 'entities');
    entities.querySelectorAll('tbody tr').forEach((row, i) => linkEntity(row as HTMLElement, i));
    app.appendChild(entities);
  } else app.appendChild(el('p', 'muted', 'No entities found.'));

  app.appendChild(el('h3', undefined, `Relations (${result.relations.length})`));
  const rel = relationRows(result);
  if (rel.length) {
    // Probability and rationale columns only when some relation has them (the built-in models).
    const withP = rel.some((r) => r.probability);
    const withWhy = rel.some((r) => r.rationale);
    const headers = ['Relation', 'Head', 'Tail', ...(withP ? ['p'] : []), ...(withWhy ? ['Rationale'] : [])];
    app.appendChild(table(headers, rel.map((r) => [r.type, r.head, r.tail, ...(withP ? [r.probability] : []), ...(withWhy ? [r.rationale] : [])]), 'relations'));
  } else app.appendChild(el('p', 'muted', 'No relations found.'));

  app.appendChild(el('h3', undefined, `Events (${result.events.length})`));
  const ev = eventRows(result);
  if (ev.length) app.appendChild(table(['Event', 'Trigger', 'Arguments'], ev.map((r) => [r.type, r.trigger, r.arguments]), 'events'));
  else app.appendChild(el('p', 'muted', 'No events found.'));
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) {
    vscode.postMessage({ type: 'error', message: 'ignored a malformed message from the extension host' });
    return;
  }
  try {
    if (m.type === 'result') {
      vscode.setState(m.state);
      render(m.state);
    } else if (m.type === 'failed') {
      vscode.setState(null);
      renderFailure(m.source, m.text);
    } else {
      renderNotice(m.level, m.text);
    }
  } catch (e) {
    vscode.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});

const saved = vscode.getState();
if (isExtractPanelState(saved)) render(saved);
vscode.postMessage({ type: 'ready' });
