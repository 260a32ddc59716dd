/** What a CLI subcommand gets: its arguments and where to write. Exit codes: 0 ok, 2 user error, 1 internal. */
export interface CliIO {
  /** Machine output (one JSON document with --json). */
  stdout: (text: string) => void;
  /** Human progress, progress bars, warnings. */
  stderr: (text: string) => void;
  /** True when stderr is a terminal (draw progress bars with \r), else print plain lines. */
  isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: stop at the next safe point. */
  signal: AbortSignal;
  /**
   * Called by a command that honours `signal` promptly and must then finish writing (a run: its
   * checkpoint, record and summary): a repeated Ctrl-C no longer exits at once, it waits.
   */
  holdExitUntilDone?(): void;
  cwd: string;
  /** Standard input (`--file -`); absent when the caller has none to give. */
  stdin?: NodeJS.ReadableStream;
}

export type Subcommand = (argv: string[], io: CliIO) => Promise<number>;
