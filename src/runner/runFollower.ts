import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { RunEvent } from '../core/train/events';
import type { LogLevel, RunErrorInfo } from './protocol';
import type { RunOutcome } from './runSource';
import { runLiveness, signalRunHolder } from './runLock';
import * as store from './runStore';

type Listener<T extends unknown[]> = (...args: T) => void;

/** How long a run's final status waits for the exit of the process this one started. */
const EXIT_WAIT_MS = 30_000;

export interface FollowOptions {
  /** The run's process when this process started it: its exit explains a run that died before writing anything. */
  child?: ChildProcess;
  /** How often the run folder is read (default 250 ms). */
  pollMs?: number;
}

/**
 * Follows a run through its folder in the run store, whoever started it and whenever: the
 * events appended to `events.jsonl`, the lines of `run.log`, the status in `run.json`, and
 * the lock that says whether its process still runs. This is how the extension watches a run
 * it started, and how it reattaches to a run after a window reload (or one the CLI started):
 * the run process needs no connection to anyone, so it outlives the window that started it.
 */
export class RunFollower {
  readonly runId: string;
  readonly done: Promise<RunOutcome>;
  private readonly eventListeners = new Set<Listener<[RunEvent]>>();
  private readonly logListeners = new Set<Listener<[LogLevel, string]>>();
  private readonly events: Tail;
  private readonly log: Tail;
  private timer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private childExit: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
  private finish!: (outcome: RunOutcome) => void;
  private ticking = false;
  private logLevel: LogLevel = 'info';
  /** The last error the run's process logged (why a resume could not start, say). */
  private lastError: string | undefined;
  private readonly since = Date.now();
  /** When the run's final status was first read (its process may still be writing its last lines). */
  private endSeenAt: number | undefined;

  constructor(readonly runDir: string, private readonly opts: FollowOptions = {}) {
    this.runId = path.basename(runDir);
    this.events = new Tail(path.join(runDir, store.EVENTS_FILE));
    this.log = new Tail(path.join(runDir, store.LOG_FILE));
    this.done = new Promise((resolve) => (this.finish = resolve));
    opts.child?.once('exit', (exitCode, signal) => (this.childExit = { exitCode, signal }));
    opts.child?.once('error', (e) => {
      this.childExit = { exitCode: null, signal: null };
      this.emitLog('error', `could not start the run process: ${e.message}`);
    });
    // The first read happens once listeners are attached (they get the run's whole history).
    this.timer = setTimeout(() => this.tick(), 0);
  }

  onEvent(listener: Listener<[RunEvent]>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onLog(listener: Listener<[LogLevel, string]>): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /**
   * Asks the run's process to stop (SIGTERM: it stops at its next step boundary, checkpoints
   * and records `cancelled`), after checking that the lock's holder is really that process;
   * SIGKILL after `graceMs` if it is still there. A run that is still starting (no lock yet)
   * is signalled through the child this process started.
   */
  cancel(graceMs = 20_000): { ok: boolean; reason?: string } {
    const sent = signalRunHolder(this.runDir, 'SIGTERM');
    if (sent.ok) this.emitLog('info', `cancel: SIGTERM sent to the run process (pid ${sent.pid})`);
    else {
      const child = this.opts.child;
      if (!child || child.exitCode !== null || child.signalCode !== null || !child.kill('SIGTERM')) return sent;
      this.emitLog('info', `cancel: SIGTERM sent to the starting run process (pid ${child.pid})`);
    }
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => {
        if (signalRunHolder(this.runDir, 'SIGKILL').ok) this.emitLog('warn', `the run did not stop within ${graceMs / 1000} s of Cancel: killed`);
        else this.opts.child?.kill('SIGKILL');
      }, graceMs);
      this.killTimer.unref?.();
    }
    return { ok: true };
  }

  /** Stops following; the run itself goes on. */
  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.killTimer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    void this.poll()
      .then((outcome) => {
        if (!outcome) return;
        clearTimeout(this.killTimer);
        this.timer = undefined;
        this.finish(outcome);
      })
      .catch((e) => this.emitLog('warn', `reading the run folder: ${(e as Error).message}`))
      .finally(() => {
        this.ticking = false;
        // Whatever happened in this poll, the next one comes (until the run ended or following stopped).
        if (this.timer !== undefined) this.timer = setTimeout(() => this.tick(), this.opts.pollMs ?? 250);
      });
  }

  private async poll(): Promise<RunOutcome | undefined> {
    // The status first, then the files: whatever a finished run wrote before its final status is read.
    const record = await store.readRunRecord(this.runDir);
    this.drain();
    const outcome = record ? await this.outcomeOf(record) : await this.outcomeWithoutRecord();
    if (!outcome) return undefined;
    // A process this one started writes its last lines (a failed run's error) after the final
    // status: its exit ends the run's log. One that lingers is not waited for past EXIT_WAIT_MS.
    if (this.opts.child && !this.childExit && Date.now() - (this.endSeenAt ??= Date.now()) < EXIT_WAIT_MS) return undefined;
    this.drain();
    return outcome;
  }

  private async outcomeOf(record: store.RunRecord): Promise<RunOutcome | undefined> {
    const base = { runDir: this.runDir, exitCode: this.childExit?.exitCode, signal: this.childExit?.signal };
    const child = this.opts.child;
    const how = this.childExit ? (this.childExit.signal ? `signal ${this.childExit.signal}` : `exit code ${this.childExit.exitCode}`) : 'its process is gone';
    // A run this process just started over an existing record (a resume): until the new process
    // takes the run over, the record is the previous attempt's. Its end counts only if it is newer.
    const previous = child !== undefined && record.status !== 'running' && !(record.endedAt && Date.parse(record.endedAt) >= this.since);
    if (previous && !this.childExit) return undefined;
    // Gone while the run still runs: another process holds it (this one could not take it over).
    const heldElsewhere = child !== undefined && this.childExit !== undefined && record.status === 'running';
    if (heldElsewhere || (previous && (record.status !== 'interrupted' || this.lastError))) {
      return { ...base, status: 'failed', error: { message: this.lastError ?? `the run process exited (${how}) before it took the run over; see ${store.LOG_FILE} in the run folder`, user: false } };
    }
    switch (record.status) {
      case 'running':
        return undefined;
      case 'completed':
      case 'cancelled':
        return { ...base, status: record.status, summary: await store.readSummary(this.runDir) };
      case 'failed':
        return { ...base, status: 'failed', summary: await store.readSummary(this.runDir), error: record.error ?? { message: record.message ?? 'the run failed', user: false } };
      case 'diverged':
        return { ...base, status: 'diverged', summary: await store.readSummary(this.runDir), error: { message: record.message ?? 'training diverged', user: false } };
      case 'interrupted':
        return { ...base, status: 'crashed', error: { message: `the run process ended unexpectedly (${how}); its last checkpoint can be resumed`, user: false } };
    }
  }

  /**
   * A folder without `run.json`: the run's process is still starting, or it died before it
   * wrote anything (it could not even start): then the folder becomes a failed run, so the
   * failure is not lost.
   */
  private async outcomeWithoutRecord(): Promise<RunOutcome | undefined> {
    const starting = this.opts.child ? !this.childExit : runLiveness(this.runDir).alive;
    if (starting) return undefined;
    if (existsSync(path.join(this.runDir, store.RUN_FILE))) return undefined; // written meanwhile: read it next time
    const how = this.childExit?.signal ? `signal ${this.childExit.signal}` : `exit code ${this.childExit?.exitCode ?? 'unknown'}`;
    const error: RunErrorInfo = { message: `the run process exited before the run started (${how}); see ${store.LOG_FILE} in the run folder`, user: false };
    return { status: 'failed', runDir: this.runDir, error, exitCode: this.childExit?.exitCode, signal: this.childExit?.signal };
  }

  private drain(): void {
    const eventLines = this.events.read();
    if (eventLines.length) {
      for (const event of store.parseEventLines(eventLines.join('\n'))) for (const l of this.eventListeners) safeCall(l, event);
    }
    // Lines the worker logged start with their level; continuation lines are indented; anything
    // else is the process's own output (a crash's stack, a library's warning).
    for (const line of this.log.read()) {
      const m = /^\[(info|warn|error)\] (.*)$/.exec(line);
      if (m) this.logLevel = m[1] as LogLevel;
      else if (!line.startsWith('  ')) this.logLevel = 'warn';
      if (line.trim()) this.emitLog(this.logLevel, m ? m[2] : line);
      if (m?.[1] === 'error') this.lastError = m[2];
    }
  }

  private emitLog(level: LogLevel, line: string): void {
    for (const l of this.logListeners) safeCall(l, level, line);
  }
}

/** The complete lines appended to a file since the last read (a line still being written waits for its end). */
class Tail {
  private offset = 0;

  constructor(private readonly file: string) {}

  read(): string[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return [];
    }
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return [];
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      // Up to the last newline only: a torn line (or a split UTF-8 character) is read once complete.
      const end = buf.subarray(0, n).lastIndexOf(0x0a);
      if (end < 0) return [];
      this.offset += end + 1;
      return buf.subarray(0, end).toString('utf8').split('\n');
    } finally {
      closeSync(fd);
    }
  }
}

function safeCall<T extends unknown[]>(fn: Listener<T>, ...args: T): void {
  try {
    fn(...args);
  } catch {
    // A listener's bug must not stop the following.
  }
}
