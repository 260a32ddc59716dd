/**
 * A problem with the user's input (experiment file, data, flags). The CLI turns it into exit
 * code 2 and one line; the extension turns it into a diagnostic at `line`/`column`.
 * Anything else that is thrown is an internal error (exit code 1).
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** JSON pointer of the offending field, e.g. `/model/layers/2/units`. */
    readonly pointer?: string,
    /** File the problem is in (experiment file, data file). */
    readonly file?: string,
    /** 1-based line and column in `file`, when known. */
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'UserError';
  }

  /** One line for a terminal: `file:line:col: /pointer: message`. */
  format(): string {
    const where = this.file ? `${this.file}${this.line ? `:${this.line}:${this.column ?? 1}` : ''}: ` : '';
    const field = this.pointer !== undefined ? `${this.pointer || '/'}: ` : '';
    return `${where}${field}${this.message}`;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** An error as plain data, to cross a process, thread or webview boundary: a `UserError`'s fields, or an internal error's message. */
export interface ErrorInfo {
  message: string;
  /** Set for user errors (bad file, field or flag): exit code 2 in the CLI, a diagnostic in the editor. */
  user: boolean;
  pointer?: string;
  file?: string;
  line?: number;
  column?: number;
}
