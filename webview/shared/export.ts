/**
 * Export buttons of a panel's charts and tables: the webview renders the file's content (SVG or
 * PNG from the Vega view, CSV from the panel contract) and posts it to the host, which asks
 * where to save it. (A download link does nothing in a VS Code webview.)
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { View } from 'vega';
import type { ExportFormat, ExportRequest } from '../../src/panels/shared/export';
import { cssVar, el } from './dom';

export interface ExportItem {
  format: ExportFormat;
  /** Button text ("SVG", "Per-class CSV"). */
  label: string;
  /** Suggested file name without extension (asked at click time: what the panel shows then). */
  name(): string;
  content(): Promise<string> | string;
}

/** A row of small buttons, "Export: SVG PNG CSV", each posting an `ExportRequest` when clicked. */
export function exportBar(items: ExportItem[], post: (m: ExportRequest) => void, onError: (message: string) => void): HTMLElement {
  const bar = el('div', 'export-bar');
  // Styled here (CSSOM, allowed by the CSP), so every panel's bar looks the same without CSS of its own.
  Object.assign(bar.style, { display: 'flex', alignItems: 'center', flexWrap: 'wrap', gap: '6px', margin: '6px 0' });
  const label = el('span', 'export-label', 'Export:');
  label.style.color = 'var(--vscode-descriptionForeground)';
  bar.append(label);
  for (const item of items) {
    const b = document.createElement('vscode-button');
    b.setAttribute('secondary', '');
    b.dataset.format = item.format;
    b.textContent = item.label;
    b.title = `Save as ${item.format.toUpperCase()}…`;
    b.addEventListener('click', () => {
      void (async () => post({ type: 'export', format: item.format, name: item.name(), content: await item.content() }))()
        .catch((e: unknown) => onError(`export ${item.label}: ${e instanceof Error ? e.message : String(e)}`));
    });
    bar.append(b);
  }
  return bar;
}

/**
 * The chart of `view` as SVG markup or a PNG data URL, on the editor's background colour (the
 * panel draws on a transparent one, which would lose light-theme text in an image viewer).
 */
export async function chartImage(view: View, format: 'svg' | 'png'): Promise<string> {
  const previous = view.background();
  view.background(cssVar('--vscode-editor-background', '#ffffff'));
  try {
    return format === 'svg' ? await view.toSVG() : await view.toImageURL('png', 2);
  } finally {
    view.background(previous);
  }
}

/**
 * The usual bar under one chart: its picture as SVG and PNG and its data as CSV. The view is
 * asked for at click time (charts are redrawn as runs update).
 */
export function chartExports(view: () => View | undefined, name: () => string, csv: () => string, post: (m: ExportRequest) => void, onError: (message: string) => void): HTMLElement {
  const image = (format: 'svg' | 'png') => () => {
    const v = view();
    if (!v) throw new Error('the chart is not drawn yet');
    return chartImage(v, format);
  };
  const bar = exportBar(
    [
      { format: 'svg', label: 'SVG', name, content: image('svg') },
      { format: 'png', label: 'PNG', name, content: image('png') },
      { format: 'csv', label: 'CSV', name, content: csv },
    ],
    post,
    onError,
  );
  bar.hidden = true;
  return bar;
}
