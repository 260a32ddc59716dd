/** `info`: not a problem, a note (e.g. a check that was not made). */
export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/** One problem found in an experiment file, positioned for an editor and for a terminal. */
export interface ExperimentDiagnostic {
  /** What is wrong, naming the field; does not repeat the pointer. */
  message: string;
  /** JSON pointer of the offending field (`''` for the whole document). */
  pointer: string;
  severity: DiagnosticSeverity;
  /** 0-based character offsets of the range to underline (`end` exclusive). */
  start: number;
  end: number;
  /** 1-based line and column of `start`. */
  line: number;
  column: number;
}

/**
 * Maps character offsets to 1-based line/column. Lines end at `\n` (a `\r\n` pair counts
 * as one ending), which is how editors and terminals number them.
 */
export class LineMap {
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }
}

/** Build a diagnostic from an offset range. */
export function diagnosticAt(
  lines: LineMap,
  message: string,
  pointer: string,
  start: number,
  end: number,
  severity: DiagnosticSeverity = 'error',
): ExperimentDiagnostic {
  const { line, column } = lines.position(start);
  return { message, pointer, severity, start, end: Math.max(end, start), line, column };
}
