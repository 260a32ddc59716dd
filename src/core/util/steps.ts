import { throttledYield } from './eventLoop';

/**
 * Long synchronous computations written as generators that `yield` at safe points (between
 * blocks, columns, rewards). The same code then runs two ways:
 * - `runSteps`: straight through, synchronously (library callers, tests, benchmarks);
 * - `runCooperatively`: returning to the event loop every few tens of milliseconds, so that a
 *   signal handler, an IPC `cancel` or a timer runs, and stopping at the next safe point once
 *   the caller's signal is aborted.
 *
 * Why: a computation that never yields cannot be stopped by SIGINT/SIGTERM or a cancel
 * message (their handlers wait for the event loop), so Ctrl-C and Cancel would wait for the
 * whole matrix. A safe point costs one generator resumption; callers place them so that the
 * work between two of them stays well under a second for the sizes the estimate allows.
 */

/** What a safe point may report: how far the computation is (undefined: a bare safe point). */
export interface StepProgress {
  /** 0..1 of the whole computation. */
  fraction: number;
  message: string;
}

export type Steps<T> = Generator<StepProgress | undefined, T, void>;

/** Runs the steps to the end on this thread. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export interface CooperativeOptions {
  /** Checked at every return to the event loop; once aborted, the steps stop and its reason is thrown. */
  signal?: AbortSignal;
  /** Every progress a safe point reports. */
  onProgress?: (p: StepProgress) => void;
  /** Longest stretch of work between two returns to the event loop (default 50 ms). */
  sliceMs?: number;
}

/**
 * Runs the steps, returning to the event loop whenever `sliceMs` have passed since the last
 * return, and stops (running the generator's `finally` blocks) once `signal` is aborted.
 */
export async function runCooperatively<T>(steps: Steps<T>, opts: CooperativeOptions = {}): Promise<T> {
  const pace = createPacer(opts.signal, opts.sliceMs);
  try {
    opts.signal?.throwIfAborted();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (r.value) opts.onProgress?.(r.value);
      await pace();
    }
  } finally {
    steps.return(undefined as T);
  }
}

/**
 * A function to await at safe points of async code: it returns to the event loop only when
 * `sliceMs` have passed since the last time (`throttledYield`), then throws the signal's reason
 * if it was aborted.
 */
export function createPacer(signal?: AbortSignal, sliceMs = 50): () => Promise<void> {
  const yieldNow = throttledYield(sliceMs);
  return async () => {
    await yieldNow();
    signal?.throwIfAborted();
  };
}
