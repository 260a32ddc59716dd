import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isUserError } from '../errors';
import type { CsvDataConfig } from '../experiment/types';
import { parseCsv } from './csv';
import { IDX_IMAGES_MAGIC } from './idx';
import { isGzip } from './readFile';

/**
 * What the first bytes of a data file say, for the editor: the shape of one example and any
 * problem the loader would report in the first rows (a header row read as data, a label column
 * that does not exist). Reads at most `HEAD_BYTES` (decompressing as much of a gzip file as
 * they hold), synchronously and without throwing, so it can run on every edit; the loader still
 * checks the whole file when the run starts.
 */
const HEAD_BYTES = 256 * 1024;
/** Rows parsed from the head: enough to see a header and a data row, few enough to stay cheap. */
const HEAD_ROWS = 20;
/** Compressed bytes decompressed for the head of a gzip file. */
const GZIP_HEAD_BYTES = 16 * 1024;

export interface DataHeadProblem {
  pointer: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface DataHead {
  /** Shape of one example as the loader will produce it, when the head tells it. */
  exampleShape?: number[];
  /** What the shape is, for messages: "iris.csv has 5 columns, the label in the last". */
  source?: string;
  problems: DataHeadProblem[];
}

/** The head of a CSV file (`file` absolute) as the loader will read it with `cfg`'s options. */
export function inspectCsvHead(cfg: Pick<CsvDataConfig, 'label' | 'header'>, file: string, pointer: string): DataHead {
  const head = readHead(file);
  if (!head) return { problems: [] };
  const rows = completeRows(head.bytes, head.whole);
  // Rows longer than the head: nothing can be told without reading more.
  if (rowCount(rows) < 2 && !head.whole) return { problems: [] };
  const name = path.basename(file);
  const label = cfg.label ?? 'last';
  try {
    const t = parseCsv(rows, { label, header: cfg.header ?? false, file, pointer });
    const problems: DataHeadProblem[] = [];
    if (cfg.header && firstRowIsData(rows, label, file, pointer)) {
      problems.push({
        pointer: '/data/header',
        severity: 'warning',
        message: `header is true, so the first row of ${name} is skipped, but it holds data (${firstLine(rows).slice(0, 60)}); remove "header" to train on it`,
      });
    }
    const where = label === 'last' ? 'the label in the last' : label === 'first' ? 'the label in the first' : `the label in column ${label}`;
    return { exampleShape: [t.features], source: `${name} has ${t.features + 1} columns, ${where}`, problems };
  } catch (e) {
    if (!isUserError(e)) throw e;
    const at = e.line !== undefined ? ` line ${e.line}` : '';
    return { problems: [{ pointer: e.pointer ?? pointer, severity: 'error', message: `${name}${at}: ${e.message}` }] };
  }
}

/** The example shape of an IDX image file: [height, width, 1]. */
export function inspectIdxHead(imagesFile: string): DataHead {
  const head = readHead(imagesFile, 16);
  if (!head || head.bytes.length < 16) return { problems: [] };
  const view = new DataView(head.bytes.buffer, head.bytes.byteOffset, head.bytes.byteLength);
  if (view.getUint32(0, false) !== IDX_IMAGES_MAGIC) return { problems: [] }; // the loader says what is wrong
  const height = view.getUint32(8, false);
  const width = view.getUint32(12, false);
  return { exampleShape: [height, width, 1], source: `${path.basename(imagesFile)} holds ${height}x${width} images`, problems: [] };
}

/** The first bytes of a file, decompressed if it is gzip; undefined if it cannot be read. */
function readHead(file: string, bytes = HEAD_BYTES): { bytes: Buffer; whole: boolean } | undefined {
  let raw: Buffer;
  let size: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      size = fs.fstatSync(fd).size;
      raw = Buffer.alloc(Math.min(Math.max(bytes, GZIP_HEAD_BYTES), size));
      raw = raw.subarray(0, fs.readSync(fd, raw, 0, raw.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // missing or unreadable: reported by the file checks
  }
  if (!isGzip(raw)) return { bytes: raw.subarray(0, bytes), whole: raw.length === size && size <= bytes };
  try {
    // A truncated gzip stream decompresses as far as it goes with a sync flush. Deflate expands
    // at most ~1032x, so this much input stays a few MiB of output whatever the file.
    const input = raw.subarray(0, GZIP_HEAD_BYTES);
    const out = zlib.gunzipSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return { bytes: out.subarray(0, bytes), whole: input.length === size && out.length <= bytes };
  } catch {
    return undefined; // corrupt: the loader reports it
  }
}

/** The first `HEAD_ROWS` lines that the head holds completely. */
function completeRows(bytes: Buffer, whole: boolean): Buffer {
  let end = 0;
  let lines = 0;
  while (lines < HEAD_ROWS) {
    const nl = bytes.indexOf(0x0a, end);
    if (nl < 0) {
      if (whole) end = bytes.length;
      break;
    }
    end = nl + 1;
    lines++;
  }
  return bytes.subarray(0, end);
}

function rowCount(rows: Buffer): number {
  let n = 0;
  for (const b of rows) if (b === 0x0a) n++;
  return n;
}

function firstLine(rows: Buffer): string {
  const text = rows.toString('utf8');
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** Whether the first non-blank row parses as a data row (numbers and a label). */
function firstRowIsData(rows: Buffer, label: CsvDataConfig['label'], file: string, pointer: string): boolean {
  try {
    parseCsv(Buffer.from(firstLine(rows)), { label, header: false, file, pointer });
    return true;
  } catch {
    return false;
  }
}
