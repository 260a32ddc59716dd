import { Worker } from 'node:worker_threads';

/**
 * Helper threads for a WebAssembly kernel on a shared memory: the float32 training products
 * (tensor/wasm/threads.ts) and the float64 reward GEMM (reward/wasm/float64Gemm.ts).
 *
 * A call is split into numbered work items that write disjoint parts of the output. The caller
 * publishes the call's arguments in a shared control block, wakes the helpers (Atomics.notify:
 * no message per call), takes items from an atomic counter like every helper, and blocks in
 * Atomics.wait until the last item is done: the call stays synchronous, and a busy core slows a
 * call down instead of stalling it. Helpers instantiate the same module on the same memory and
 * run the same item function (one source text, so a bundler cannot make them differ).
 *
 * Helpers start in the background on the first call with more than one item; until one is up,
 * the caller does every item itself. They are unref'd, so they never keep a process alive.
 * A helper that fails (an item throws) or stops (it exits, or crashes) makes the call throw a
 * clear error instead of waiting forever for its items, and so does every later call.
 */
export interface WasmThreadsOptions {
  /** Names the kernel in errors. */
  name: string;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /**
   * Source of `function item(exports, args, index, thread)`: computes work item `index` of the
   * current call; `args` is a Uint32Array of the call's arguments (`run`'s), `thread` 0 for the
   * caller and 1.. for the helpers (e.g. to pick a scratch area). Self-contained: it runs in
   * the helpers too.
   */
  itemSource: string;
  /** Threads per call, the caller included (1: no helpers). */
  threads: number;
}

// Control block (Int32 indices). NEXT = generation << 16 | next item; item index SENTINEL
// closes a generation while the caller rewrites the arguments.
const NEXT = 0;
const DONE = 1;
const FAILED = 2;
const READY = 3;
const EXIT = 4;
/** Items done by helpers (a statistic: shows they take part). */
const HELPED = 5;
/** Set by a helper that stops while it should still be working; holds its exit code + 1. */
const DIED = 6;
const ARGS = 8;
export const MAX_ARGS = 24;
const SENTINEL = 0xffff;
/** Items per call at most (the item index has 16 bits, one value is the sentinel). */
export const MAX_ITEMS = SENTINEL - 1;

/**
 * Take items of the current generation until none is left. An item that throws sets FAILED;
 * it still counts as done, so the caller never waits forever.
 */
const WORK_ON_SOURCE = `function workOn(ctl, args, exports, item, thread) {
  const gen = Atomics.load(ctl, ${NEXT}) >>> 16;
  for (;;) {
    // Claim by compare-exchange on (generation, index): the arguments belong to this
    // generation exactly when a claim under it succeeds.
    const w = Atomics.load(ctl, ${NEXT});
    const i = w & 0xffff;
    if (w >>> 16 !== gen || i >= args[${ARGS - 1}]) return;
    if (Atomics.compareExchange(ctl, ${NEXT}, w, w + 1) !== w) continue;
    try {
      item(exports, args.subarray(${ARGS}), i, thread);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    if (thread > 0) Atomics.add(ctl, ${HELPED}, 1);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}`;

/** Helper thread: instantiate on the shared memory, then work whenever NEXT changes. */
function helperSource(itemSource: string): string {
  return `
const { workerData } = require('node:worker_threads');
const { module, memory, control, thread } = workerData;
const ctl = new Int32Array(control);
const args = new Uint32Array(control);
// Leaving while the owner still counts on this thread (a crash, process.exit in an item): say
// so, and wake the caller, which then fails the call instead of waiting for this thread's item.
process.on('exit', (code) => {
  if (!Atomics.load(ctl, ${EXIT})) {
    Atomics.store(ctl, ${DIED}, code + 1);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
});
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const item = (${itemSource});
${WORK_ON_SOURCE}
${SPIN_SOURCE}
const spin = { ms: workerData.spinMs, max: workerData.spinMs };
Atomics.add(ctl, ${READY}, 1);
while (!Atomics.load(ctl, ${EXIT})) {
  const v = Atomics.load(ctl, ${NEXT});
  workOn(ctl, args, exports, item, thread);
  if (Atomics.load(ctl, ${NEXT}) === v) waitWhile(ctl, ${NEXT}, v, spin, Infinity);
}
`;
}

/**
 * Waits while ctl[index] === value (at most timeout ms): first spinning (no sleep) up to
 * spin.ms, then in Atomics.wait. A thread woken from Atomics.wait starts tens of microseconds
 * (more on a virtual machine) after the notify, and a training step makes a call every ~100 µs:
 * helpers that spin briefly after a call are already running when the next one comes, and a
 * caller that spins briefly sees the last item end without a wake-up. Adaptive, as spinning
 * locks are: a wait that ended within spin.max doubles the spin (up to spin.max), a longer one
 * halves it (down to nothing), so on a busy machine, where the other thread is often waiting for
 * a core, the spin shrinks instead of burning CPU.
 */
const SPIN_SOURCE = `function waitWhile(ctl, index, value, spin, timeout) {
  if (spin.max <= 0) {
    if (Atomics.load(ctl, index) === value) Atomics.wait(ctl, index, value, timeout);
    return;
  }
  const start = performance.now();
  const until = start + spin.ms;
  let changed = false;
  do {
    for (let k = 0; k < 64 && !changed; k++) changed = Atomics.load(ctl, index) !== value;
  } while (!changed && performance.now() < until);
  if (!changed && Atomics.load(ctl, index) === value) Atomics.wait(ctl, index, value, timeout);
  spin.ms = performance.now() - start < spin.max ? Math.min(spin.max, Math.max(2 * spin.ms, spin.max / 64)) : spin.ms < spin.max / 64 ? 0 : spin.ms / 2;
}`;
interface Spin { ms: number; max: number }
const waitWhile = new Function(`return ${SPIN_SOURCE}`)() as (ctl: Int32Array, index: number, value: number, spin: Spin, timeout: number) => void;

/** `MODEL_LAB_THREAD_SPIN_US`: how long threads spin at most before sleeping, between and at the end of calls (default 100 µs; 0: sleep at once). */
export const SPIN_ENV_VAR = 'MODEL_LAB_THREAD_SPIN_US';
const DEFAULT_SPIN_US = 100;

function spinMs(): number {
  const us = Number(process.env[SPIN_ENV_VAR] ?? DEFAULT_SPIN_US);
  return Number.isFinite(us) && us > 0 ? us / 1000 : 0;
}

type ItemFn = (exports: WebAssembly.Exports, args: Uint32Array, index: number, thread: number) => void;
type WorkOn = (ctl: Int32Array, args: Uint32Array, exports: WebAssembly.Exports, item: ItemFn, thread: number) => void;
const workOn = new Function(`return ${WORK_ON_SOURCE}`)() as WorkOn;

export class WasmThreads {
  /** Threads per call, the caller included (helpers may still be starting). */
  readonly threads: number;
  private readonly options: WasmThreadsOptions;
  private readonly exports: WebAssembly.Exports;
  private readonly item: ItemFn;
  private readonly ctl: Int32Array;
  private readonly args: Uint32Array;
  private helpers: Worker[] | undefined;
  private gen = 0;
  private closed = false;
  /** How long the caller and the helpers spin at most before sleeping (SPIN_ENV_VAR, read when the pool is made). */
  private readonly spinMs = spinMs();
  /** The caller's current spin (see `waitWhile`). */
  private readonly spin: Spin = { ms: this.spinMs, max: this.spinMs };
  /** Why a helper stopped, as its `error` event said (only seen between calls). */
  private helperError: Error | undefined;

  constructor(options: WasmThreadsOptions) {
    this.options = options;
    this.threads = Math.max(1, Math.floor(options.threads));
    this.exports = new WebAssembly.Instance(options.module, { env: { memory: options.memory } }).exports;
    this.item = new Function(`return (${options.itemSource})`)() as ItemFn;
    const control = new SharedArrayBuffer((ARGS + MAX_ARGS) * 4);
    this.ctl = new Int32Array(control);
    this.args = new Uint32Array(control);
  }

  /** Helper threads that have started. */
  get helpersReady(): number {
    return Atomics.load(this.ctl, READY);
  }

  /** Items computed by helper threads so far. */
  get helperItems(): number {
    return Atomics.load(this.ctl, HELPED);
  }

  /**
   * Items 0..count-1 of a call with these arguments (unsigned 32-bit), shared with the helpers
   * when `parallel` and there are any; returns when every item is done. Throws when a helper
   * failed or stopped.
   */
  run(args: ArrayLike<number>, count: number, parallel = true): void {
    if (args.length > MAX_ARGS) throw new Error(`${this.options.name}: ${args.length} arguments, at most ${MAX_ARGS}`);
    if (count > MAX_ITEMS) throw new Error(`${this.options.name}: ${count} work items, at most ${MAX_ITEMS}`);
    this.checkHelpers();
    const ctl = this.ctl;
    const shared = parallel && count > 1 && this.threads > 1 && !this.closed;
    if (shared) this.startHelpers();
    if (!shared || this.helpersReady === 0) {
      // No generation: the helpers stay asleep.
      const local = new Uint32Array(args.length);
      local.set(args);
      for (let i = 0; i < count; i++) this.item(this.exports, local, i, 0);
      return;
    }
    // Close the previous generation before rewriting the arguments (every item of it is done).
    Atomics.store(ctl, NEXT, (this.gen << 16) | SENTINEL);
    this.gen = (this.gen + 1) & 0x7fff;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    this.args.set(args, ARGS);
    this.args[ARGS - 1] = count;
    Atomics.store(ctl, NEXT, this.gen << 16);
    Atomics.notify(ctl, NEXT);
    workOn(ctl, this.args, this.exports, this.item, 0);
    for (let done = Atomics.load(ctl, DONE); done < count && !Atomics.load(ctl, DIED); done = Atomics.load(ctl, DONE)) {
      // Bounded, so a helper that vanished without its exit handler (terminated) is noticed too.
      waitWhile(ctl, DONE, done, this.spin, 1000);
    }
    this.checkHelpers();
    if (Atomics.load(ctl, FAILED)) throw new Error(`${this.options.name}: a work item failed on a helper thread`);
  }

  /** Stop the helpers (only needed to free them early). Calls then run on the calling thread only. */
  async close(): Promise<void> {
    const helpers = this.helpers ?? [];
    this.helpers = [];
    this.closed = true;
    Atomics.store(this.ctl, EXIT, 1);
    Atomics.notify(this.ctl, NEXT);
    await Promise.all(helpers.map((w) => w.terminate()));
  }

  private checkHelpers(): void {
    const died = Atomics.load(this.ctl, DIED);
    if (died === 0) return;
    const why = this.helperError ? `: ${this.helperError.message}` : ` (exit code ${died - 1})`;
    throw new Error(`${this.options.name}: a helper thread stopped${why}; set the thread count to 1 (modelLab.threads, --threads 1) to run without helpers`);
  }

  private startHelpers(): void {
    if (this.helpers) return;
    this.helpers = [];
    const source = helperSource(this.options.itemSource);
    for (let t = 1; t < this.threads; t++) {
      const w = new Worker(source, {
        eval: true,
        workerData: { module: this.options.module, memory: this.options.memory, control: this.ctl.buffer, thread: t, spinMs: this.spinMs },
      });
      w.unref();
      w.on('error', (e) => {
        this.helperError ??= e;
      });
      // A helper that ends without its exit handler (terminate() by someone else) while in use.
      w.on('exit', (code) => {
        if (!Atomics.load(this.ctl, EXIT) && !Atomics.load(this.ctl, DIED)) Atomics.store(this.ctl, DIED, code + 1);
      });
      this.helpers.push(w);
    }
  }
}
