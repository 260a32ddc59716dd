/**
 * Resolves after Node's event loop has turned once: timers, I/O callbacks and signal handlers
 * queued meanwhile run before the caller continues. A long synchronous loop that never does
 * this cannot see a cancel request (SIGINT, a parent's message) until it ends.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A yield for every iteration of a hot loop that costs nothing measurable: it really yields
 * only when at least `minIntervalMs` have passed since the last real yield (a yield costs a few
 * microseconds, but a loop of sub-millisecond steps would still pay for thousands of them).
 * Loops whose iterations take longer than the interval yield at every iteration.
 */
export function throttledYield(minIntervalMs = 2): () => Promise<void> {
  let last = performance.now();
  return async () => {
    const now = performance.now();
    if (now - last < minIntervalMs) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}
