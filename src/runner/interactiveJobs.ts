import { createProvider, type ProviderConfig } from '../core/extract/providers';
import type { ExtractionProvider } from '../core/extract/types';
import { proveRun } from '../core/zk/prove';
import { toJobErrorInfo } from './errorInfo';
import { isJobRequest, type ExtractJobRequest, type JobProgress, type JobRequest, type JobResult } from './jobProtocol';
import type { WorkerToHost } from './protocol';
import { RewardsJobs } from './rewardsJob';

type Send = (message: WorkerToHost) => Promise<void>;
type Provider = ExtractionProvider & { dispose?: () => void };

/**
 * The worker side of interactive jobs (`jobProtocol.ts`): runs the jobs the host sends, one
 * at a time in arrival order (the reward kernels' module-level memory must not be shared by two
 * suspended computations), and answers each with `jobResult` or `jobError`. What is expensive
 * to set up stays warm between jobs: the built-in model (TensorFlow.js and its weights) and the
 * last parsed rewards file.
 */
export class InteractiveJobs {
  private readonly controllers = new Map<number, AbortController>();
  private queue: Promise<void> = Promise.resolve();
  private readonly rewards = new RewardsJobs();
  private builtin: { modelFile: string | undefined; provider: Promise<Provider> } | undefined;

  constructor(private readonly send: Send) {}

  start(id: number, job: unknown): void {
    const controller = new AbortController();
    this.controllers.set(id, controller);
    this.queue = this.queue.then(() => this.run(id, job, controller));
  }

  cancel(id: number): void {
    this.controllers.get(id)?.abort();
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  private async run(id: number, job: unknown, controller: AbortController): Promise<void> {
    const { signal } = controller;
    try {
      if (!isJobRequest(job)) throw new Error(`malformed job request: ${JSON.stringify(job)?.slice(0, 200)}`);
      signal.throwIfAborted();
      const progress = (p: JobProgress): void => void this.send({ type: 'jobProgress', id, progress: p });
      const result = await this.dispatch(job, signal, progress);
      await this.send({ type: 'jobResult', id, result });
    } catch (e) {
      await this.send({ type: 'jobError', id, error: toJobErrorInfo(e), cancelled: signal.aborted });
    } finally {
      this.controllers.delete(id);
    }
  }

  private dispatch(job: JobRequest, signal: AbortSignal, progress: (p: JobProgress) => void): Promise<JobResult> {
    switch (job.kind) {
      case 'extract':
        return this.extract(job, signal, progress);
      case 'rewards-matrix':
        return this.rewards.matrix(job, { signal, progress });
      case 'rewards-difference':
        return this.rewards.difference(job, { signal, progress });
      case 'prove':
        // o1js proves in one stretch: a cancel ends the process after the grace period.
        return proveRun(job.runDir, { metric: 'accuracy', min: job.min, onProgress: (message) => progress({ message }) });
    }
  }

  /**
   * Extraction with the configured provider. Remote providers wait on the network and match
   * spans here, off the editor's thread; the built-in model is loaded once per model file.
   */
  private async extract(job: ExtractJobRequest, signal: AbortSignal, progress: (p: JobProgress) => void) {
    const config = job.provider;
    const builtin = config.kind === 'builtin';
    const provider = config.kind === 'builtin' ? await this.builtinProvider(config.modelFile) : await createProvider(config);
    // The built-in model's prediction is one synchronous stretch (a cancel waits for its end or
    // the grace period): say that it started.
    if (builtin) progress({ message: `reading ${job.text.length.toLocaleString('en-US')} characters` });
    try {
      return await provider.extract(job.text, job.schema, {
        signal,
        // (The built-in model reports only its end, "all characters received": nothing to show.)
        onProgress: builtin ? undefined : (p) => {
          const part = p.pieces !== undefined && p.pieces > 1 ? `part ${Math.min((p.piecesDone ?? 0) + 1, p.pieces)} of ${p.pieces}, ` : '';
          progress({ message: `${part}${p.receivedChars} characters received`, fraction: p.pieces ? (p.piecesDone ?? 0) / p.pieces : undefined });
        },
      });
    } finally {
      if (!builtin) provider.dispose?.();
    }
  }

  private builtinProvider(modelFile: string | undefined): Promise<Provider> {
    if (this.builtin && this.builtin.modelFile === modelFile) return this.builtin.provider;
    void this.builtin?.provider.then((p) => p.dispose?.(), () => undefined);
    const provider = createProvider({ kind: 'builtin', modelFile } satisfies ProviderConfig);
    // A model that failed to load (a bad file) is not kept: the next job tries again.
    provider.catch(() => {
      if (this.builtin?.provider === provider) this.builtin = undefined;
    });
    this.builtin = { modelFile, provider };
    return provider;
  }
}
