import { isUserError } from '../core/errors';
import type { JobErrorInfo } from './jobProtocol';
import type { RunErrorInfo } from './protocol';

/** Turns anything thrown by a job into what crosses the process boundary. */
export function toErrorInfo(e: unknown): RunErrorInfo {
  if (isUserError(e)) {
    return { message: e.message, user: true, pointer: e.pointer, file: e.file, line: e.line, column: e.column };
  }
  return { message: e instanceof Error ? e.stack ?? e.message : String(e), user: false };
}

/** As `toErrorInfo`, with an internal error's message and stack apart (the message is shown, the stack logged). */
export function toJobErrorInfo(e: unknown): JobErrorInfo {
  if (isUserError(e)) return toErrorInfo(e);
  return { message: e instanceof Error ? e.message : String(e), user: false, stack: e instanceof Error ? e.stack : undefined };
}
