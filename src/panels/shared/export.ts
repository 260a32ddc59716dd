import { isRecord } from './validators';

/**
 * Exporting what a panel shows: its charts as SVG or PNG and their data as CSV. A download link
 * in a webview does nothing in VS Code, so the webview sends the file's content to the host
 * (`ExportRequest`), which asks where to save it (the save dialog) and writes it. Pure: the
 * webviews build CSV with `toCsv` and both sides validate requests with `isExportRequest`.
 */
export type ExportFormat = 'svg' | 'png' | 'csv' | 'json';

export interface ExportRequest {
  type: 'export';
  format: ExportFormat;
  /** The suggested file name, without extension ("timeline", "confusion-matrix-iris"). */
  name: string;
  /** SVG markup, a `data:image/png;base64,` URL, CSV text, or JSON text. */
  content: string;
}

/** Largest export accepted from a webview (a chart of many runs, a big matrix): 64 MB of text. */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

export const PNG_DATA_URL_PREFIX = 'data:image/png;base64,';

export function isExportRequest(m: Record<string, unknown>): m is Record<string, unknown> & ExportRequest {
  if (m.type !== 'export' || typeof m.name !== 'string' || m.name.length > 200 || typeof m.content !== 'string' || m.content.length > MAX_EXPORT_CHARS) return false;
  switch (m.format) {
    case 'svg':
      return /^\s*<svg[\s>]/.test(m.content.slice(0, 200));
    case 'png':
      return m.content.startsWith(PNG_DATA_URL_PREFIX);
    case 'csv':
      return true;
    case 'json':
      return isJson(m.content);
    default:
      return false;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A file name for `name` that is safe on every platform: letters, digits, `.-_` only, never empty. */
export function exportFileName(name: string, format: ExportFormat): string {
  const base = name.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 100) || 'export';
  return `${base}.${format}`;
}

export type CsvCell = string | number | null | undefined;

/**
 * RFC 4180 CSV (CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled).
 * Text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR:
 * a class name or a layer name comes from the user's data) gets a leading `'`; numbers are
 * written as numbers, non-finite ones and missing values as empty fields.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const cell = (v: CsvCell): string => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
    const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
