import { UserError } from '../errors';
import { jsonSyntaxProblem } from '../util/jsonError';
import { MAX_LABEL } from './csv';

export interface TextRecords {
  texts: string[];
  labels: (string | number)[];
  /** 1-based line of each record, for messages about it later (e.g. an unknown label). */
  lines: number[];
}

/**
 * The non-blank lines of a JSON Lines text, each parsed as a JSON object, with its 1-based line.
 * A line that is not valid JSON, or not an object (`shape` says which object), goes to `fail`.
 */
export function* jsonObjectLines(
  content: string,
  fail: (message: string, line: number) => never,
  shape: string,
): Generator<{ record: Record<string, unknown>; line: number }> {
  const rows = content.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const line = i + 1;
    const raw = rows[i].trim();
    if (raw === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch {
      const p = jsonSyntaxProblem(raw);
      fail(`not valid JSON at column ${p.column}: ${p.reason}`, line);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) fail(`each line must be a JSON object ${shape}`, line);
    yield { record: rec as Record<string, unknown>, line };
  }
}

/**
 * Parse a JSON Lines file of `{"text": string, "label": string | integer}` objects (other
 * fields are ignored; blank lines are skipped). Labels must be all strings or all integers
 * >= 0 within a file. Problems are `UserError`s naming the file and line.
 */
export function parseJsonl(content: string, file: string, pointer: string): TextRecords {
  const out: TextRecords = { texts: [], labels: [], lines: [] };
  const fail = (message: string, line: number): never => {
    throw new UserError(message, pointer, file, line, 1);
  };
  let labelKind: 'string' | 'number' | undefined;
  let kindLine = 0;
  for (const { record, line } of jsonObjectLines(content, fail, '{"text": ..., "label": ...}')) {
    const { text, label } = record as { text?: unknown; label?: unknown };
    if (typeof text !== 'string') fail(text === undefined ? 'missing "text"' : '"text" must be a string', line);
    if (typeof label === 'number') {
      if (!Number.isInteger(label) || label < 0) fail(`label ${label} is not a class index (an integer >= 0) or a class name (a string)`, line);
      if (label > MAX_LABEL) fail(`label ${label} is too large for a class index (at most ${MAX_LABEL})`, line);
    } else if (typeof label !== 'string' || label === '') {
      fail(label === undefined ? 'missing "label"' : '"label" must be a class name (a non-empty string) or a class index (an integer >= 0)', line);
    }
    const kind = typeof label === 'number' ? 'number' : 'string';
    if (labelKind === undefined) {
      labelKind = kind;
      kindLine = line;
    } else if (kind !== labelKind) {
      fail(`label ${JSON.stringify(label)} is a ${kind}, but line ${kindLine} has a ${labelKind} label; use one kind throughout`, line);
    }
    out.texts.push(text as string);
    out.labels.push(label as string | number);
    out.lines.push(line);
  }
  if (out.texts.length === 0) throw new UserError('no examples: the file has no JSON lines', pointer, file);
  return out;
}
