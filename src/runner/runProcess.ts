import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { FreezingPolicyName } from '../core/experiment/types';
import type { RunEvent } from '../core/train/events';
import { isWorkerToHost, type HostToWorker, type LogLevel, type RunErrorInfo } from './protocol';
import { planRunDir } from './runStore';
import type { RunSummary } from './summary';

export interface StartRunOptions {
  experimentFile: string;
  policy?: FreezingPolicyName;
  /** Options of `policy` over the file's (see `RunRequest`). */
  policyOptions?: Record<string, unknown>;
  /** Root of the run store (default `<dir of file>/.model-lab/runs`). */
  outRoot?: string;
  /** Continue this run folder from its last checkpoint. */
  resumeDir?: string;
  backend?: string;
  /** The bundled worker (default: `runWorker.js` beside this bundle). */
  workerScript?: string;
}

export interface RunOutcome {
  status: 'completed' | 'cancelled' | 'failed' | 'crashed';
  runDir: string;
  summary?: RunSummary;
  error?: RunErrorInfo;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
}

type Listener<T extends unknown[]> = (...args: T) => void;

/**
 * A run in its own Node process, so nothing a run does (a crash, running out of memory, a
 * busy loop) can take the extension host down. Under VS Code's Electron, `fork` re-runs the
 * host binary, so `ELECTRON_RUN_AS_NODE` makes it behave as plain Node.
 */
export class RunProcess {
  readonly runId: string;
  readonly runDir: string;
  readonly done: Promise<RunOutcome>;
  private readonly child: ChildProcess;
  private readonly eventListeners = new Set<Listener<[RunEvent]>>();
  private readonly logListeners = new Set<Listener<[LogLevel, string]>>();
  private cancelTimers: NodeJS.Timeout[] = [];

  static start(opts: StartRunOptions): RunProcess {
    return new RunProcess(opts);
  }

  private constructor(opts: StartRunOptions) {
    const file = path.resolve(opts.experimentFile);
    ({ runId: this.runId, runDir: this.runDir } = planRunDir({ ...opts, experimentFile: file }));
    const script = opts.workerScript ?? path.join(__dirname, 'runWorker.js');
    this.child = fork(script, [], {
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      cwd: path.dirname(file),
    });
    let summary: RunSummary | undefined;
    let error: RunErrorInfo | undefined;
    this.child.on('message', (m: unknown) => {
      if (!isWorkerToHost(m)) {
        this.emitLog('warn', `ignored malformed message from run process: ${JSON.stringify(m)?.slice(0, 200)}`);
        return;
      }
      switch (m.type) {
        case 'event': for (const l of this.eventListeners) safeCall(l, m.event); break;
        case 'log': this.emitLog(m.level, m.message); break;
        case 'result': summary = m.summary; break;
        case 'error': error = m.error; break;
      }
    });
    this.child.stdout?.on('data', (d: Buffer) => this.emitLines('info', d));
    this.child.stderr?.on('data', (d: Buffer) => this.emitLines('warn', d));
    this.done = new Promise<RunOutcome>((resolve) => {
      this.child.on('error', (e) => {
        error ??= { message: `could not start the run process: ${e.message}`, user: false };
      });
      this.child.on('exit', (exitCode, signal) => {
        for (const t of this.cancelTimers) clearTimeout(t);
        const status: RunOutcome['status'] = summary
          ? summary.status
          : error
            ? 'failed'
            : 'crashed';
        if (status === 'crashed') {
          error = { message: `the run process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${exitCode}`}); its last checkpoint can be resumed`, user: false };
        }
        resolve({ status, runDir: this.runDir, summary, error, exitCode, signal });
      });
    });
    const request: HostToWorker = {
      type: 'start',
      request: { experimentFile: file, policy: opts.policy, policyOptions: opts.policyOptions, outRoot: opts.outRoot, resumeDir: opts.resumeDir, backend: opts.backend, runId: this.runId },
    };
    this.child.send(request);
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
   * Ask the run to stop at its next step boundary; if it has not exited after `graceMs`,
   * SIGTERM (also a polite stop), and after another `graceMs`, SIGKILL.
   */
  cancel(graceMs = 10_000): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'cancel' } satisfies HostToWorker);
    if (this.cancelTimers.length) return;
    this.cancelTimers.push(
      setTimeout(() => this.child.kill('SIGTERM'), graceMs),
      setTimeout(() => this.child.kill('SIGKILL'), 2 * graceMs),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private emitLog(level: LogLevel, line: string): void {
    for (const l of this.logListeners) safeCall(l, level, line);
  }

  private emitLines(level: LogLevel, data: Buffer): void {
    for (const line of data.toString('utf8').split('\n')) if (line.trim()) this.emitLog(level, line);
  }
}

function safeCall<T extends unknown[]>(fn: Listener<T>, ...args: T): void {
  try {
    fn(...args);
  } catch {
    // A listener's bug must not break the run's message pump.
  }
}
