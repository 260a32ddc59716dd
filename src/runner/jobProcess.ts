import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import type { JobErrorInfo, JobProgress, JobRequest, JobResults } from './jobProtocol';
import { isWorkerToHost, type HostToWorker, type LogLevel, type WorkerToHost } from './protocol';

export interface JobProcessOptions {
  /** What the jobs are for, in messages ("extraction", "reward comparison"). */
  label: string;
  /** The bundled worker (default: `runWorker.js` beside this bundle). */
  workerScript?: string;
  /** Extra Node flags for the process (tests cap its heap to provoke an out-of-memory). */
  execArgv?: string[];
  /** How long a cancelled job may take to stop before its process is killed (default 2 s). */
  graceMs?: number;
  /** The process exits after this long without a job (default 5 min; 0: never). It starts again on the next job. */
  idleMs?: number;
  /** The process's own log lines and stderr. */
  onLog?: (level: LogLevel, line: string) => void;
}

export interface RunJobOptions {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
}

const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed|RangeError: Array buffer allocation failed/i;

/** The job was cancelled (by its signal or `dispose`); nothing to report. */
export class JobCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelledError';
  }
}

/**
 * The job failed with an internal error, including its process crashing or running out of
 * memory (`info.stack` has the worker's stack when there is one). A problem with the user's
 * input (a bad file or setting) is a `UserError` instead, with its pointer and line.
 */
export class JobFailedError extends Error {
  constructor(readonly info: JobErrorInfo) {
    super(info.message);
    this.name = 'JobFailedError';
    // Whoever logs the stack sees where it failed in the job process.
    if (info.stack) this.stack = `${this.name}: ${info.message}\n  in the job process: ${info.stack}`;
  }
}

interface Pending {
  id: number;
  job: JobRequest;
  opts: RunJobOptions;
  resolve: (result: unknown) => void;
  reject: (e: Error) => void;
  onAbort?: () => void;
  /** The process it was sent to. */
  child?: ChildProcess;
  /** Cancel requested while it ran: the process is killed if it does not answer within the grace period. */
  cancelTimer?: NodeJS.Timeout;
}

/**
 * A runner process for interactive jobs (`jobProtocol.ts`), on the extension host's side. Jobs
 * run one at a time in the order given; the process stays up between them (the built-in model
 * and the last rewards file stay loaded) and exits after `idleMs` without work.
 *
 * Cancelling a job (its signal) sends `cancelJob`: the job stops at its next safe point; if it
 * has not answered within `graceMs` (the built-in model's prediction cannot stop half-way), the
 * process is killed and the next job gets a fresh one. A process that crashes, runs out of
 * memory or is killed by the system fails only its running job, with a message that says so.
 * Under VS Code's Electron, `fork` re-runs the host binary; `ELECTRON_RUN_AS_NODE` makes it Node.
 */
export class JobProcess {
  private child: ChildProcess | undefined;
  private readonly queue: Pending[] = [];
  private current: Pending | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** The last lines the process wrote to stderr (a crash's reason). */
  private stderrTail: string[] = [];
  /** V8 or a buffer allocation said it ran out of memory (its native stack after it can outrun any tail). */
  private outOfMemory = false;

  constructor(private readonly opts: JobProcessOptions) {}

  private get script(): string {
    return this.opts.workerScript ?? path.join(__dirname, 'runWorker.js');
  }

  /** Starts the process now, so the first job does not wait for Node and the job code to load. */
  warmUp(): void {
    if (!this.disposed && existsSync(this.script)) {
      this.ensureChild();
      this.armIdleTimer();
    }
  }

  run<J extends JobRequest>(job: J, opts: RunJobOptions = {}): Promise<JobResults[J['kind']]> {
    if (this.disposed) return Promise.reject(new JobCancelledError());
    if (opts.signal?.aborted) return Promise.reject(new JobCancelledError());
    if (!existsSync(this.script)) {
      return Promise.reject(new JobFailedError({ message: `the extension build is incomplete: ${this.script} is missing (run npm run build)`, user: false }));
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { id: this.nextId++, job, opts, resolve: resolve as (r: unknown) => void, reject };
      pending.onAbort = () => this.cancel(pending);
      opts.signal?.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  /** The process's id while it runs (tests kill it to play the system's out-of-memory killer). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.queue.splice(0)) this.settle(p, new JobCancelledError());
    if (this.current) this.settle(this.current, new JobCancelledError());
    this.current = undefined;
    this.kill();
  }

  private pump(): void {
    if (this.current || this.disposed) return;
    const next = this.queue.shift();
    if (!next) {
      this.armIdleTimer();
      return;
    }
    clearTimeout(this.idleTimer);
    this.current = next;
    const child = this.ensureChild();
    next.child = child;
    child.send({ type: 'job', id: next.id, job: next.job } satisfies HostToWorker, (e) => {
      if (e && this.current === next) this.fail(next, { message: `could not reach the ${this.opts.label} process: ${e.message}`, user: false });
    });
  }

  private cancel(p: Pending): void {
    const queued = this.queue.indexOf(p);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(p, new JobCancelledError());
      return;
    }
    if (this.current !== p || p.cancelTimer) return;
    if (this.child?.connected) this.child.send({ type: 'cancelJob', id: p.id } satisfies HostToWorker);
    p.cancelTimer = setTimeout(() => {
      if (this.current !== p) return;
      this.opts.onLog?.('warn', `${this.opts.label}: the job did not stop within ${this.grace} ms of the cancel; killing its process`);
      this.kill();
    }, this.grace);
  }

  private get grace(): number {
    return this.opts.graceMs ?? 2000;
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    this.stderrTail = [];
    this.outOfMemory = false;
    const child = fork(this.script, [], {
      execArgv: this.opts.execArgv ?? [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Typed arrays (a pair's difference) cross as they are, not as JSON objects.
      serialization: 'advanced',
    });
    this.child = child;
    child.on('message', (m: unknown) => this.onMessage(child, m));
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.logLines('info', d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderrTail = [...this.stderrTail, ...d.split('\n').filter((l) => l.trim())].slice(-20);
      if (OUT_OF_MEMORY.test(d)) this.outOfMemory = true;
      this.logLines('warn', d);
    });
    child.on('error', (e) => {
      if (this.child === child) this.child = undefined;
      if (this.current?.child === child) this.fail(this.current, { message: `could not start the ${this.opts.label} process: ${e.message}`, user: false });
    });
    // 'close', not 'exit': stderr is read to its end, so a crash's reason is known.
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const p = this.current;
      if (!p || p.child !== child) return;
      if (p.cancelTimer || p.opts.signal?.aborted) {
        this.settle(p, new JobCancelledError());
      } else {
        this.fail(p, { message: this.crashMessage(code, signal), user: false });
      }
    });
    return child;
  }

  private onMessage(child: ChildProcess, m: unknown): void {
    if (!isWorkerToHost(m)) {
      this.opts.onLog?.('warn', `${this.opts.label}: ignored malformed message: ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    const msg = m as WorkerToHost;
    if (msg.type === 'log') {
      this.opts.onLog?.(msg.level, msg.message);
      return;
    }
    if (msg.type !== 'jobProgress' && msg.type !== 'jobResult' && msg.type !== 'jobError') return;
    const p = this.current;
    if (!p || p.id !== msg.id || p.child !== child) return;
    switch (msg.type) {
      case 'jobProgress':
        try {
          p.opts.onProgress?.(msg.progress);
        } catch {
          // A listener's bug must not break the message pump.
        }
        return;
      case 'jobResult':
        this.settle(p, undefined, msg.result);
        return;
      case 'jobError':
        if (msg.cancelled || p.opts.signal?.aborted) this.settle(p, new JobCancelledError());
        else this.fail(p, msg.error);
        return;
    }
  }

  private crashMessage(code: number | null, signal: NodeJS.Signals | null): string {
    const tail = this.stderrTail.join('\n');
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (this.outOfMemory || OUT_OF_MEMORY.test(tail)) {
      return `the ${this.opts.label} process ran out of memory (${how}); the editor is unaffected`;
    }
    if (signal === 'SIGKILL') return `the ${this.opts.label} process was killed (${how}), perhaps by the system for lack of memory; the editor is unaffected`;
    return `the ${this.opts.label} process stopped unexpectedly (${how})${tail ? `: ${this.stderrTail[this.stderrTail.length - 1]}` : ''}; the editor is unaffected`;
  }

  private fail(p: Pending, info: JobErrorInfo): void {
    this.settle(p, info.user ? new UserError(info.message, info.pointer, info.file, info.line, info.column) : new JobFailedError(info));
  }

  /** Resolves or rejects `p` once, then moves on to the next job. */
  private settle(p: Pending, error: Error | undefined, result?: unknown): void {
    clearTimeout(p.cancelTimer);
    if (p.onAbort) p.opts.signal?.removeEventListener('abort', p.onAbort);
    if (error) p.reject(error);
    else p.resolve(result);
    if (this.current === p) {
      this.current = undefined;
      this.pump();
    }
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    const idle = this.opts.idleMs ?? 5 * 60_000;
    if (idle <= 0 || !this.child) return;
    this.idleTimer = setTimeout(() => {
      if (!this.current && this.queue.length === 0) this.kill();
    }, idle);
    this.idleTimer.unref?.();
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    clearTimeout(this.idleTimer);
    if (child && child.exitCode === null && child.signalCode === null) {
      // The current job (if any) is settled by the close handler, which still sees `current`.
      child.kill('SIGKILL');
    }
  }

  private logLines(level: LogLevel, data: string): void {
    for (const line of data.split('\n')) if (line.trim()) this.opts.onLog?.(level, `${this.opts.label}: ${line}`);
  }
}
