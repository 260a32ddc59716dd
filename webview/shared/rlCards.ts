/**
 * Run cards of the RL panels (skills, offline goal-conditioned RL): one per run, kept and
 * updated in place so their buttons survive live updates. Text only through `textContent`.
 */
import { parse, View } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';
import { el, icon } from './dom';

export interface RlCardData {
  runId: string;
  label: string;
  status: 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';
  color: string;
  showSwatch: boolean;
  metrics: { label: string; value: string; accent?: boolean }[];
  foot: string;
  footTitle: string;
  message?: string;
  selected?: boolean;
}

export interface RlCardActions {
  cancel(runId: string): void;
  open(runId: string): void;
  reveal(runId: string): void;
  select?(runId: string): void;
}

interface CardView {
  root: HTMLElement;
  swatch: HTMLElement;
  icon: HTMLElement;
  label: HTMLElement;
  status: HTMLElement;
  cancel: HTMLElement;
  metrics: HTMLElement;
  foot: HTMLElement;
  message: HTMLElement;
}

const STATUS_ICONS: Record<RlCardData['status'], string> = {
  running: 'sync', completed: 'pass', cancelled: 'circle-slash', failed: 'error', interrupted: 'debug-pause', diverged: 'warning',
};

export class RlCards {
  private readonly views = new Map<string, CardView>();

  constructor(private readonly container: HTMLElement, private readonly actions: RlCardActions) {}

  render(cards: RlCardData[]): void {
    const keep = new Set(cards.map((c) => c.runId));
    for (const id of [...this.views.keys()]) if (!keep.has(id)) this.views.delete(id);
    const ordered = cards.map((c) => {
      let v = this.views.get(c.runId);
      if (!v) {
        v = this.create(c.runId);
        this.views.set(c.runId, v);
      }
      v.root.className = `card ${c.status}${c.selected ? ' selected' : ''}`;
      v.swatch.hidden = !c.showSwatch;
      v.swatch.style.setProperty('background-color', c.color);
      if (v.icon.dataset.status !== c.status) {
        v.icon.dataset.status = c.status;
        const i = icon(STATUS_ICONS[c.status], c.status === 'running');
        i.classList.add('status-icon', c.status);
        v.icon.replaceChildren(i);
      }
      v.label.textContent = c.label;
      v.status.textContent = c.status;
      v.cancel.hidden = c.status !== 'running';
      v.metrics.replaceChildren(
        ...c.metrics.map((m) => {
          const box = el('div', m.accent ? 'metric accent' : 'metric');
          box.append(el('span', 'metric-value', m.value), el('span', 'metric-label', m.label));
          return box;
        }),
      );
      v.foot.textContent = c.foot;
      v.foot.title = c.footTitle;
      v.message.textContent = c.message ?? '';
      v.message.hidden = !c.message;
      return v.root;
    });
    const current = Array.from(this.container.children);
    if (current.length !== ordered.length || current.some((c, i) => c !== ordered[i])) this.container.replaceChildren(...ordered);
  }

  private create(runId: string): CardView {
    const root = el('article', 'card');
    root.dataset.runId = runId;
    if (this.actions.select) {
      root.tabIndex = 0;
      root.addEventListener('click', () => this.actions.select!(runId));
      root.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') this.actions.select!(runId);
      });
    }
    const head = el('div', 'card-head');
    const swatch = el('span', 'swatch');
    const iconHolder = el('span', 'status-icon-holder');
    const label = el('span', 'label');
    const status = el('span', 'status');
    const actions = el('div', 'actions');
    const cancel = document.createElement('vscode-button');
    cancel.setAttribute('secondary', '');
    cancel.setAttribute('icon', 'debug-stop');
    cancel.textContent = 'Cancel';
    cancel.title = 'Cancel this run (it can be resumed later)';
    cancel.addEventListener('click', (e) => {
      e.stopPropagation();
      this.actions.cancel(runId);
    });
    actions.append(cancel, actionIcon('go-to-file', 'Open experiment file', () => this.actions.open(runId)), actionIcon('folder-opened', 'Reveal run folder', () => this.actions.reveal(runId)));
    head.append(swatch, iconHolder, label, status, actions);
    const metrics = el('div', 'metrics');
    const foot = el('div', 'card-foot');
    const message = el('div', 'card-message');
    root.append(head, metrics, foot, message);
    return { root, swatch, icon: iconHolder, label, status, cancel, metrics, foot, message };
  }
}

function actionIcon(name: string, label: string, onClick: () => void): HTMLElement {
  const i = icon(name);
  i.setAttribute('action-icon', '');
  i.setAttribute('label', label);
  i.title = label;
  i.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return i;
}

/**
 * Renders a Vega-Lite spec into `host` with vega's expression interpreter (no `eval`: the
 * panel's CSP allows none), replacing `previous` once the new view is ready.
 */
export async function renderVegaLite(spec: TopLevelSpec, host: HTMLElement, previous?: View): Promise<View> {
  const view = new View(parse(compile(spec).spec, undefined, { ast: true }), { expr: expressionInterpreter as never, renderer: 'svg', hover: true });
  const target = document.createElement('div');
  await view.initialize(target).runAsync();
  previous?.finalize();
  host.replaceChildren(target);
  return view;
}
