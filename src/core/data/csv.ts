import { UserError } from '../errors';
import { sortedClassNames } from './classNames';

export interface CsvOptions {
  /** Which column holds the class label. */
  label: 'last' | 'first' | number;
  /** Skip the first non-empty row. */
  header: boolean;
  /** For messages: the file and the config field that names it (e.g. `/data/train`). */
  file: string;
  pointer: string;
}

export interface CsvTable {
  /** `count * features` values, row-major. */
  x: Float32Array;
  /** Class per row: the label itself for numeric labels, else an index into `classNames`. */
  y: Int32Array;
  count: number;
  features: number;
  /** Present when the label column holds text (`setosa`, ...): the distinct labels, sorted. */
  classNames?: string[];
}

/** Largest magnitude a float32 feature holds; beyond it a value would become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Largest class index an int32 label holds. */
export const MAX_LABEL = 2 ** 31 - 1;

const COMMA = 0x2c;
const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Parse a CSV of numbers with one class-label column. Works on the raw bytes and parses
 * numbers in place (no string per cell), so large files load quickly; cells the fast path does
 * not understand (quotes, unusual notation) fall back to `Number()`. Fields may be quoted
 * (RFC 4180: `"a,b"`, `""` for a quote), within one line. The label column holds integer class
 * indices, or text (`setosa`, `"Iris versicolor"`): then every label is a class name and `y`
 * indexes the sorted `classNames`. Blank lines are skipped. Every problem is a `UserError`
 * naming the file, line and column.
 */
export function parseCsv(buf: Uint8Array, opts: CsvOptions): CsvTable {
  const n = buf.length;
  let maxRows = 1;
  for (let i = 0; i < n; i++) if (buf[i] === NL) maxRows++;

  let cols = -1;
  let labelCol = -1;
  let firstRowLine = 0;
  let x = new Float32Array(0);
  let y = new Int32Array(0);
  let count = 0;
  let headerPending = opts.header;
  /** Text labels: class ids in order of first appearance (`y` holds these until the end). */
  let textLabels: Map<string, number> | undefined;
  const fail = (message: string, line: number, column?: number): never => {
    throw new UserError(message, opts.pointer, opts.file, line, column);
  };

  let line = 0;
  let pos = 0;
  while (pos < n) {
    line++;
    const lineStart = pos;
    let lineEnd = pos;
    while (lineEnd < n && buf[lineEnd] !== NL) lineEnd++;
    pos = lineEnd + 1;
    let end = lineEnd;
    if (end > lineStart && buf[end - 1] === CR) end--;
    if (isBlank(buf, lineStart, end)) continue;
    if (headerPending) {
      headerPending = false;
      continue;
    }

    if (cols < 0) {
      cols = columnsOf(buf, lineStart, end);
      firstRowLine = line;
      labelCol = opts.label === 'last' ? cols - 1 : opts.label === 'first' ? 0 : opts.label;
      if (labelCol >= cols) {
        throw new UserError(
          `label column ${labelCol} does not exist: ${opts.file} line ${line} has ${cols} columns (0 to ${cols - 1})`,
          '/data/label',
          opts.file,
          line,
        );
      }
      if (cols < 2) fail('a CSV row needs at least one feature column besides the label', line);
      x = new Float32Array(maxRows * (cols - 1));
      y = new Int32Array(maxRows);
    }

    const features = cols - 1;
    let col = 0;
    let cellStart = lineStart;
    let out = count * features;
    let quoted = false;
    for (let i = lineStart; i <= end; i++) {
      if (i < end && buf[i] !== COMMA) {
        if (buf[i] === QUOTE) quoted = !quoted;
        continue;
      }
      if (quoted) {
        if (i < end) continue; // a comma inside quotes
        fail(`a quoted field in column ${col + 1} is not closed on this line (line breaks inside quotes are not supported)`, line, cellStart - lineStart + 1);
      }
      if (col >= cols) {
        col++;
        continue; // count the rest for the error below
      }
      if (col === labelCol && textLabels) {
        y[count] = classId(textLabels, cellText(buf, cellStart, i), () => fail(`empty label in column ${col + 1}`, line, cellStart - lineStart + 1));
        col++;
        cellStart = i + 1;
        continue;
      }
      const v = parseNumber(buf, cellStart, i);
      if (Number.isNaN(v)) {
        const text = cellText(buf, cellStart, i);
        if (col === labelCol && text !== '') {
          // The first label that is not a number: the column holds class names.
          textLabels = new Map();
          for (let r = 0; r < count; r++) y[r] = classId(textLabels, String(y[r]), () => 0);
          y[count] = classId(textLabels, text, () => 0);
          col++;
          cellStart = i + 1;
          continue;
        }
        const hint = count === 0 && !opts.header ? ' (if this line names the columns, set "header": true)' : '';
        fail(text === '' ? `empty value in column ${col + 1}` : `not a number in column ${col + 1}: ${JSON.stringify(text.slice(0, 40))}${hint}`, line, cellStart - lineStart + 1);
      }
      if (col === labelCol) {
        if (!Number.isInteger(v) || v < 0 || v > MAX_LABEL) {
          // A row with extra columns puts a feature where the label should be: say that, not "bad label".
          const n = columnsOf(buf, lineStart, end);
          if (n !== cols) fail(`row has ${n} columns, expected ${cols} (as in line ${firstRowLine})`, line);
          fail(
            v > MAX_LABEL && Number.isInteger(v)
              ? `label ${cellText(buf, cellStart, i).slice(0, 40)} in column ${col + 1} is too large for a class index (at most ${MAX_LABEL})`
              : `label ${cellText(buf, cellStart, i).slice(0, 40)} in column ${col + 1} is not a class index (an integer >= 0)`,
            line,
            cellStart - lineStart + 1,
          );
        }
        y[count] = v;
      } else {
        if (!(Math.abs(v) <= FLOAT32_MAX)) {
          fail(`value ${cellText(buf, cellStart, i).slice(0, 40)} in column ${col + 1} is beyond the float32 range (magnitude at most 3.4e38)`, line, cellStart - lineStart + 1);
        }
        x[out++] = v;
      }
      col++;
      cellStart = i + 1;
    }
    if (col !== cols) fail(`row has ${col} columns, expected ${cols} (as in line ${firstRowLine})`, line);
    count++;
  }
  if (count === 0) fail('no examples: the file has no data rows', Math.max(1, line));
  const features = cols - 1;
  const table: CsvTable = { x: x.slice(0, count * features), y: y.slice(0, count), count, features };
  if (textLabels) {
    const names = [...textLabels.keys()];
    const sorted = sortedClassNames(names);
    const rank = new Map(sorted.map((n, i) => [n, i]));
    const remap = names.map((n) => rank.get(n) as number);
    for (let r = 0; r < count; r++) table.y[r] = remap[table.y[r]];
    table.classNames = sorted;
  }
  return table;
}

function classId(ids: Map<string, number>, name: string, onEmpty: () => number): number {
  if (name === '') return onEmpty();
  let id = ids.get(name);
  if (id === undefined) ids.set(name, (id = ids.size));
  return id;
}

/** A cell's text: spaces around it trimmed, surrounding quotes removed and `""` unescaped. */
function cellText(buf: Uint8Array, start: number, end: number): string {
  const s = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8').trim();
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
}

/** Cells in the line `buf[start, end)`: its commas outside quotes, plus one. */
function columnsOf(buf: Uint8Array, start: number, end: number): number {
  let n = 1;
  let quoted = false;
  for (let i = start; i < end; i++) {
    if (buf[i] === QUOTE) quoted = !quoted;
    else if (buf[i] === COMMA && !quoted) n++;
  }
  return n;
}

function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/**
 * The number in `buf[start, end)`, or NaN when it is not one (empty, text); a number too large
 * for a double (`1e999`) is ±Infinity, for the caller to report as out of range.
 * Fast path: optional sign, digits, optional fraction and exponent, surrounding spaces.
 */
export function parseNumber(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  let e = end;
  while (e > i && (buf[e - 1] === 0x20 || buf[e - 1] === 0x09)) e--;
  if (i === e) return NaN;
  let neg = false;
  if (buf[i] === 0x2d || buf[i] === 0x2b) {
    neg = buf[i] === 0x2d;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let scale = 0;
  while (i < e && buf[i] >= 0x30 && buf[i] <= 0x39) {
    mant = mant * 10 + (buf[i] - 0x30);
    digits++;
    i++;
  }
  if (i < e && buf[i] === 0x2e) {
    i++;
    while (i < e && buf[i] >= 0x30 && buf[i] <= 0x39) {
      mant = mant * 10 + (buf[i] - 0x30);
      scale--;
      digits++;
      i++;
    }
  }
  if (digits > 0 && i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let expNeg = false;
    if (i < e && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      expNeg = buf[i] === 0x2d;
      i++;
    }
    let exp = 0;
    let expDigits = 0;
    while (i < e && buf[i] >= 0x30 && buf[i] <= 0x39) {
      exp = exp * 10 + (buf[i] - 0x30);
      expDigits++;
      i++;
    }
    if (expDigits === 0) return slowParse(buf, start, end);
    scale += expNeg ? -exp : exp;
  }
  // Long mantissas lose exactness in the accumulator; let the engine parse those.
  if (i !== e || digits === 0 || digits > 15) return slowParse(buf, start, end);
  const v = scale === 0 ? mant : scale < 0 ? mant / 10 ** -scale : mant * 10 ** scale;
  return neg ? -v : v;
}

/** Anything else, e.g. `"1.5"` in quotes or `.5e-3`: decode and use `Number()`. */
function slowParse(buf: Uint8Array, start: number, end: number): number {
  let s = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8').trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  // Decimal notation only: Number() would also take hex ("0x10"), binary and "Infinity".
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return NaN;
  return Number(s);
}
