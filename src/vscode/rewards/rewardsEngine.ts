import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ComputeErrorInfo, DifferenceRequest, DifferenceResult, MatrixRequest, MatrixResult } from './rewardsCompute';
import type { WorkerReply, WorkerRequest } from './workerProtocol';

/** The computation failed; `info` says whether it is the user's file (a UserError) and where. */
export class ComputeError extends Error {
  constructor(readonly info: ComputeErrorInfo) {
    super(info.formatted);
    this.name = 'ComputeError';
  }
}

/** A newer request replaced this one before it finished. */
export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'SupersededError';
  }
}

export interface EngineOptions {
  /** The worker script (`dist/rewardsWorker.js`). */
  workerScript: string;
  /** Extra Node flags for the worker (tests run the TypeScript entry with `--import tsx`). */
  execArgv?: string[];
}

export interface Ran<T> {
  result: T;
}

interface Pending {
  resolve: (r: MatrixResult | DifferenceResult) => void;
  reject: (e: Error) => void;
}

/**
 * Runs the panel's computations off the extension host thread. One worker thread per panel,
 * started on first use and kept warm: it caches the parsed file, so a click on a cell costs
 * one `stateActionDifference`. A new matrix request while the worker is busy terminates it
 * (DARD on a large MDP can take many seconds and the old settings are no longer wanted) and
 * starts a fresh one; callers of the replaced requests get a `SupersededError`.
 *
 * Measured (2 shared cores, load ~12): a warm worker answers a gridworld matrix in ~35 ms and a
 * cell click in ~13 ms; its cold start is ~3 s, almost all of it loading TensorFlow.js (the
 * rewards loader can score learned reward models), so panels start their worker at once with
 * `warmUp()`. Computing small MDPs in-process instead would load TensorFlow.js into the
 * extension host (blocking it for that long) and add 1.5 MB to its bundle, so every
 * computation runs in the worker; this file only imports types from `rewardsCompute`.
 */
export class RewardsEngine {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;

  constructor(private readonly opts: EngineOptions) {}

  /** Starts the worker (and its TensorFlow.js load) before the first request needs it. */
  warmUp(): void {
    if (!this.disposed && existsSync(this.opts.workerScript)) this.ensureWorker();
  }

  async matrix(request: MatrixRequest): Promise<Ran<MatrixResult>> {
    if (this.pending.size > 0) this.restart();
    return { result: (await this.send({ id: this.nextId++, kind: 'matrix', request })) as MatrixResult };
  }

  async difference(request: DifferenceRequest): Promise<Ran<DifferenceResult>> {
    const { row, col, ...rest } = request;
    return { result: (await this.send({ id: this.nextId++, kind: 'difference', request: rest, row, col })) as DifferenceResult };
  }

  private send(message: WorkerRequest): Promise<MatrixResult | DifferenceResult> {
    if (this.disposed) return Promise.reject(new SupersededError());
    if (!this.worker && !existsSync(this.opts.workerScript)) {
      return Promise.reject(new ComputeError({ message: 'missing worker', user: false, formatted: `the extension build is incomplete: ${this.opts.workerScript} is missing (run npm run build)` }));
    }
    const worker = this.ensureWorker();
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      worker.postMessage(message);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.opts.workerScript as string, { execArgv: this.opts.execArgv });
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new ComputeError(reply.error));
    });
    const failAll = (e: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => failAll(new ComputeError({ message: e.message, user: false, formatted: `reward worker crashed: ${e.message}` })));
    worker.on('exit', (code) => {
      if (this.worker === worker && code !== 0) failAll(new ComputeError({ message: `exit code ${code}`, user: false, formatted: `reward worker stopped (exit code ${code})` }));
      if (this.worker === worker) this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  /** Terminates a busy worker; its pending requests are rejected as superseded. */
  private restart(): void {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new SupersededError());
    this.pending.clear();
    void worker?.terminate();
  }

  dispose(): void {
    this.disposed = true;
    this.restart();
  }
}
