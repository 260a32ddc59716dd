import { readFileSync } from 'node:fs';
import type { Steps } from '../../util/steps';
import type { CanonicalSource } from '../canonicalSource';
import { gemm64Path, growMemory, MAX_PAGES } from './float64Gemm';

/**
 * The pairwise stage of a distance matrix on the WebAssembly SIMD kernel
 * (`assembly/pairwise.ts`, shipped in `dist/gemm64.wasm`): for n arrays, every pair's
 * sum_e f(k_i x_i[e] - k_j x_j[e]) (or max) in one pass over the entries, block by block.
 * Per block the loader copies each array's slice in (block copies, memcpy speed), the kernel
 * scales and transposes it, then accumulates all pairs, two per f64x2 lane pair.
 *
 * Its own (shared, as the module requires) memory and instance on the calling thread: the
 * stage is memory-bound once blocked, so helper threads would buy little. Results are
 * bit-identical to `normOfDifference` per pair (see the kernel).
 */
type ScaleTransposeExport = (n: number, ld: number, m: number, raw: number, scales: number, xt: number) => void;
type PairBlockExport = (kind: number, n: number, ld: number, m: number, xt: number, w: number, acc: number) => void;


export class PairwiseWasm {
  private readonly memory: WebAssembly.Memory;
  private readonly scaleTranspose: ScaleTransposeExport;
  private readonly pairBlock: PairBlockExport;
  private heap: Float64Array;

  constructor(file: string) {
    const module = new WebAssembly.Module(readFileSync(file));
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports;
    this.scaleTranspose = exports.scaleTranspose as ScaleTransposeExport;
    this.pairBlock = exports.pairBlock as PairBlockExport;
    if (typeof this.scaleTranspose !== 'function' || typeof this.pairBlock !== 'function') throw new Error(`${file} has no pairwise kernel (rebuild)`);
    this.heap = new Float64Array(this.memory.buffer);
  }

  /**
   * n x n row-major accumulators: entry (i, j), i < j, is sum_e f(d_e) for kinds 0, 1, 3, 4
   * (|d|, d^2, w|d|, (w d) d) or max_e f(d_e) for kinds 2, 5 (|d|, w|d|), with
   * d_e = scales[i] * values[i][e] - scales[j] * values[j][e] (scale 0: the zero array) and
   * w = `weights` (kinds 3-5). Entries j <= i are unspecified. Undefined when the buffers do
   * not fit the module's memory. Steps (util/steps.ts): a safe point after each block.
   */
  *accumulate(kind: number, values: readonly CanonicalSource[], scales: readonly number[], weights: Float64Array, block: number): Steps<Float64Array | undefined> {
    const n = values.length;
    const len = values[0].length;
    const ld = (n + 1) & ~1;
    // Layout (doubles): scales, raw block (n x block), transposed block (block x ld), weights, accumulators (n x ld).
    const scalesAt = 0;
    const rawAt = scalesAt + ld;
    const xtAt = rawAt + n * block;
    const wAt = xtAt + block * ld;
    const accAt = wAt + block;
    if (!this.reserve((accAt + n * ld) * 8)) return undefined;
    const heap = this.heap;
    for (let i = 0; i < n; i++) heap[scalesAt + i] = scales[i];
    heap.fill(0, accAt, accAt + n * ld);
    for (let e0 = 0; e0 < len; e0 += block) {
      const m = Math.min(block, len - e0);
      // Straight into the module's memory (a source computes its entries there).
      for (let i = 0; i < n; i++) values[i].fill(e0, m, heap, rawAt + i * m);
      if (kind >= 3) heap.set(weights.subarray(e0, e0 + m), wAt);
      this.scaleTranspose(n, ld, m, rawAt * 8, scalesAt * 8, xtAt * 8);
      this.pairBlock(kind, n, ld, m, xtAt * 8, wAt * 8, accAt * 8);
      yield { fraction: (e0 + m) / len, message: 'pairwise distances' };
    }
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) out.set(heap.subarray(accAt + i * ld, accAt + i * ld + n), i * n);
    return out;
  }

  /** Grow the memory to at least `bytes`; false when that exceeds the maximum. */
  private reserve(bytes: number): boolean {
    if (!growMemory(this.memory, bytes)) return false;
    if (this.heap.buffer.byteLength !== this.memory.buffer.byteLength) this.heap = new Float64Array(this.memory.buffer);
    return true;
  }
}

/** A kernel instance, or undefined when the module was not built or lacks the export (older build). */
export function createPairwiseWasm(file: string | undefined = gemm64Path()): PairwiseWasm | undefined {
  if (!file) return undefined;
  try {
    return new PairwiseWasm(file);
  } catch {
    return undefined;
  }
}
