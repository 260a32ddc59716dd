import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { FILLS_CORES_FLAG, isPointWorkerToScheduler, POINTS_FLAG, type SchedulerToPointWorker } from './pointProtocol';
import type { RunRequest } from './protocol';
import * as store from './runStore';

/** A point handed to a process: it resolves `ended` once the point's run is over, however it ended. */
export interface PointHandle {
  ended: Promise<void>;
  /** Asks the point to stop at its next step (resumable), as Cancel does. */
  stop(): void;
}

export interface PointWorkerPoolOptions {
  /** The bundled worker (`runWorker.js`). */
  workerScript: string;
  /** Where the workers' own output goes (what is not a point's: a crash's stack, V8's messages). */
  logFile: string;
  /** The workers' working folder (a run process's is its experiment file's folder). */
  cwd: string;
  /** As many workers run at once as there are cores (`FILLS_CORES_FLAG`). */
  fillsCores?: boolean;
}

/**
 * The point workers of a local sweep (`pointWorker.ts`): long-lived worker processes, each fed
 * one point at a time, so a sweep of short points does not start a process per point. Each
 * worker is detached (its own process group, like a run process: Ctrl-C in a terminal reaches
 * only the scheduler, which stops the points itself). A worker that dies takes only its current
 * point with it (that run is then `interrupted`, or failed if it had not begun); the next point
 * goes to a new worker. The caller bounds how many points run at once; the pool starts a worker
 * only when none is idle, or ahead of the points (`prestart`).
 */
export class PointWorkerPool {
  private readonly workers = new Set<PointWorker>();
  private readonly opts: PointWorkerPoolOptions;

  constructor(opts: PointWorkerPoolOptions) {
    this.opts = { ...opts };
  }

  /**
   * Starts workers until `count` are alive, before there is a point for them: a new worker takes
   * a few tenths of a second to load its bundle and set up its backend (`pointWorker.ts`), which
   * then overlaps whatever the caller does meanwhile (validating and planning the sweep).
   */
  prestart(count: number): void {
    for (let n = this.workers.size; n < count; n++) this.add();
  }

  /**
   * Moves the workers' log to `file` (a sweep's folder exists only once it is planned, after its
   * workers were started): the workers keep writing to the same file, now under its new name
   * (their output is the open file, not its path), and later workers open it there.
   */
  moveLog(file: string): void {
    if (file === this.opts.logFile) return;
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      renameSync(this.opts.logFile, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.opts.logFile = file;
    for (const w of this.workers) w.logFile = file;
  }

  run(index: number, request: RunRequest, runDir: string): PointHandle {
    const worker = [...this.workers].find((w) => w.idle) ?? this.add();
    return worker.run({ type: 'point', index, runDir, request });
  }

  private add(): PointWorker {
    const worker = new PointWorker(this.opts);
    this.workers.add(worker);
    void worker.exited.then(() => this.workers.delete(worker));
    return worker;
  }

  /** Lets every worker go (an idle one exits at once, a busy one after its point) and waits until all have exited. */
  async close(): Promise<void> {
    const all = [...this.workers];
    for (const w of all) w.close();
    await Promise.all(all.map((w) => w.exited));
  }
}

class PointWorker {
  private readonly child: ChildProcess;
  private current?: { message: SchedulerToPointWorker; done: () => void };
  /** It said it takes no more points (`pointEnded.retire`). */
  private retired = false;
  private gone = false;
  /** Where its output goes (named in a lost point's error). */
  logFile: string;
  readonly exited: Promise<void>;

  constructor(opts: PointWorkerPoolOptions) {
    this.logFile = opts.logFile;
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = openSync(opts.logFile, 'a');
    try {
      this.child = fork(opts.workerScript, [POINTS_FLAG, ...(opts.fillsCores ? [FILLS_CORES_FLAG] : [])], {
        detached: true,
        stdio: ['ignore', log, log, 'ipc'],
        // Plain Node options for the worker whatever the scheduler runs with (a run process gets none either).
        execArgv: [],
        // Under VS Code's Electron, the host binary behaves as plain Node with this.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        cwd: opts.cwd,
        serialization: 'json',
      });
    } finally {
      closeSync(log);
    }
    this.child.on('error', () => undefined); // an exit follows
    this.child.on('message', (m: unknown) => {
      if (!isPointWorkerToScheduler(m) || m.index !== this.current?.message.index) return;
      if (m.retire) this.retired = true;
      this.finish();
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.gone = true;
        if (this.current) this.pointLost(this.current.message, signal ? `signal ${signal}` : `exit code ${code}`);
        this.finish();
        resolve();
      }),
    );
  }

  get idle(): boolean {
    return !this.current && !this.retired && !this.gone && this.child.connected;
  }

  run(message: SchedulerToPointWorker): PointHandle {
    const ended = new Promise<void>((done) => (this.current = { message, done }));
    this.child.send(message, (e) => {
      // The worker died before it got the point: its exit ends the point.
      if (e) this.child.kill('SIGKILL');
    });
    return { ended, stop: () => void (this.current?.message === message && this.child.kill('SIGTERM')) };
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private finish(): void {
    const current = this.current;
    this.current = undefined;
    current?.done();
  }

  /** The worker exited in the middle of a point: the run says so, and a run that had not begun is a failed one. */
  private pointLost(m: SchedulerToPointWorker, how: string): void {
    const message = `the sweep's worker process (pid ${this.child.pid}) exited while running this point (${how}); its output is in ${this.logFile}`;
    try {
      mkdirSync(m.runDir, { recursive: true });
      appendFileSync(path.join(m.runDir, store.LOG_FILE), `[error] ${message}\n`);
    } catch {
      // the run folder cannot be written: the status below still tells
    }
    if (!m.request.resumeDir) store.recordFailedStart(m.runDir, m.request, { message, user: false });
  }
}

/** The workers' own output, in the sweep folder. */
export const WORKERS_LOG = 'workers.log';
