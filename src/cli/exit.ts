/**
 * Leaving the process without losing output. On POSIX, writes to a pipe are asynchronous: what
 * the pipe cannot take at once (64 KiB on Linux) waits in Node's queue, and `process.exit()`
 * drops it, so `model-lab extract --json | ...` stopped at exactly 65,536 bytes. Every exit of
 * the CLI goes through `exitAfterFlush`.
 */

/** Resolves once everything written so far to `stream` was handed to the OS (or the stream is gone). */
export function flushStream(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // A reader that went away (EPIPE) ends the wait instead of crashing the exit.
    const done = (): void => {
      stream.off('error', done);
      resolve();
    };
    stream.once('error', done);
    // Writes complete in order, so an empty write's callback runs after every earlier one.
    stream.write('', done);
  });
}

export async function flushStdio(): Promise<void> {
  await Promise.all([flushStream(process.stdout), flushStream(process.stderr)]);
}

/** `process.exit(code)` once stdout and stderr are flushed. */
export function exitAfterFlush(code: number): Promise<never> {
  return flushStdio().then(() => process.exit(code));
}
