import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { acceptsRelaxedSimd } from '../../util/relaxedSimd';
import { WasmThreads } from '../../util/wasmThreads';
import type { MatrixView, OutputView } from '../matrixView';

/**
 * The float64 matrix product `out += alpha * A * B^T` on the WebAssembly SIMD kernel
 * (`assembly/gemm64.ts`, compiled by the build to `dist/gemm64.wasm`), optionally shared with
 * helper threads.
 *
 * Why: DARD on a dense MDP is 2*A*S^3 multiply-adds per reward (4.3 GFLOP at S = 512, A = 8),
 * and V8's scalar float64 code tops out near 2 GFLOP/s; the f64x2 kernel is several times that
 * per core. Operands are copied into the module's memory once per call (O(S^2) against the
 * product's O(S^3)), so callers keep ordinary Float64Arrays.
 *
 * Threads: the memory is a shared WebAssembly.Memory; helper threads (util/wasmThreads.ts)
 * instantiate the same module on it and take column blocks of C, as the calling thread does.
 */
export const GEMM64_FILE = 'gemm64.wasm';
/** The same module built with relaxed SIMD: the micro-kernel uses fused multiply-adds. */
export const GEMM64_FMA_FILE = 'gemm64Fma.wasm';

/**
 * The compiled module to load: next to the bundle (dist/), or, running from sources (tests,
 * tsx), in the repository's dist/ after `npm run build`; the fused multiply-add build where the
 * runtime accepts it (`acceptsRelaxedSimd`). Undefined when it was not built.
 */
export function gemm64Path(): string | undefined {
  const find = (file: string) => [path.join(__dirname, file), path.resolve(__dirname, '../../../../dist', file)].find((f) => existsSync(f));
  const fma = find(GEMM64_FMA_FILE);
  if (fma && acceptsRelaxedSimd(readFileSync(fma))) return fma;
  return find(GEMM64_FILE);
}

// Must match assembly/gemm64.ts: register tile MR x NR, cache blocks KC (depth) and MC (rows).
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
/** Columns of C per work item (a multiple of NR). */
const CHUNK_COLS = 64;
const PACK_A_BYTES = MC * KC * 8;
const PACK_B_BYTES = CHUNK_COLS * KC * 8;
const SCRATCH_BYTES = PACK_A_BYTES + PACK_B_BYTES;
/** Per-thread scratch from the second page (the first is left unused), then the operands (see product, dardTerm). */
const SCRATCH_BASE = 65536;
/** Operands are copied in slices of this many terms of the sum, which bounds the memory. */
const DEPTH_SLICE = 1024;
const PAGE = 65536;
/** 2 GiB: pointers stay below 2^31 (they travel through an Int32Array). Must match the build's --maximumMemory. */
export const MAX_PAGES = 32768;
/** Below this many multiply-adds a product is not worth waking helpers. */
const PARALLEL_MIN = 1 << 21;

type ScaleAddExport = (dst: number, src: number, count: number, alpha: number) => void;
type PackAllExport = (m: number, k: number, a: number, out: number) => void;
/** gemm's `first` flags: overwrite C (else add to it); `a` is already packed by packAll. */
const OVERWRITE = 1;
const PREPACKED = 2;

/**
 * One work item: column block `index` of C for one depth slice (arguments m, n, k, a, b, c,
 * nPad, flags), with the calling thread's scratch.
 */
const ITEM_SOURCE = `function gemmColumns(x, g, index, thread) {
  const j0 = index * ${CHUNK_COLS};
  const scratch = ${SCRATCH_BASE} + thread * ${SCRATCH_BYTES};
  x.gemm(g[0], g[1], g[2], g[3], g[4], g[5], scratch, scratch + ${PACK_A_BYTES}, j0, Math.min(j0 + ${CHUNK_COLS}, g[6]), g[7]);
}`;

export interface Float64GemmOptions {
  /** Threads per product, the caller included; default min(available cores, 4). 1: no helpers. */
  threads?: number;
  /** The compiled module; default: `gemm64Path()`. */
  file?: string;
}

export class Float64Gemm {
  /** Threads per product, the caller included (helpers may still be starting). */
  readonly threads: number;
  private readonly memory: WebAssembly.Memory;
  private readonly scaleAdd: ScaleAddExport;
  private readonly packAll: PackAllExport;
  private readonly pool: WasmThreads;
  private heap: Float64Array;
  /** The T operand `dardTerm` left in memory (reused while the next call passes the same array). */
  private residentT: Float64Array | undefined;

  constructor(file: string, threads: number) {
    this.threads = Math.max(1, Math.floor(threads));
    const module = new WebAssembly.Module(readFileSync(file));
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    this.pool = new WasmThreads({ name: 'float64 GEMM', module, memory: this.memory, itemSource: ITEM_SOURCE, threads: this.threads });
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports;
    this.scaleAdd = exports.scaleAdd as ScaleAddExport;
    this.packAll = exports.packAll as PackAllExport;
    this.heap = new Float64Array(this.memory.buffer);
  }

  /** Helper threads that have started (they join products as soon as they are up). */
  get helpersReady(): number {
    return this.pool.helpersReady;
  }

  /** Column blocks computed by helper threads so far. */
  get helperBlocks(): number {
    return this.pool.helperItems;
  }

  /**
   * out(i, j) += alpha * sum_{k < depth} a(i, k) * b(j, k). Returns false, leaving `out`
   * untouched, when the operands do not fit the module's 2 GiB memory.
   */
  addProductABt(rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha = 1): boolean {
    if (rows <= 0 || cols <= 0 || depth <= 0) return true;
    // A transposed output (DARD's first product) is the product B * A^T written row by row:
    // the copy back then walks `out` contiguously.
    if (Math.abs(out.colStride) > Math.abs(out.rowStride)) {
      return this.product(cols, rows, depth, b, a, { data: out.data, offset: out.offset, rowStride: out.colStride, colStride: out.rowStride }, alpha);
    }
    return this.product(rows, cols, depth, a, b, out, alpha);
  }

  /**
   * DARD's term += sum_a weights[a] * T_a R_a T_a^T for an S x S `term` (row-major), with
   * T_a = packedT[a*S*S ...] (S x S blocks, as canonicalize.ts packs them) and R_a(x, y) =
   * r[(x*A + a)*S + y]. The same two products and roundings as `addProductABt` called per
   * action (first bt = T_a R_a^T, then term += w_a * T_a bt^T), but the operands stay in the
   * module's memory: R is copied in once, T copied and packed once per MDP (kept while the next
   * call passes the same `packedT`, which the caller must not modify), bt never leaves, term is
   * copied back once; per reward about 18 MB copied instead of 150 MB at S = 512, A = 8.
   * Returns false, leaving `term` untouched, when S is not a multiple of 4 (no padding here) or
   * the operands do not fit the memory.
   */
  dardTerm(S: number, A: number, r: Float64Array, packedT: Float64Array, weights: Float64Array, term: Float64Array): boolean {
    if (S % MR !== 0 || S % NR !== 0 || S === 0) return false;
    const SS = S * S;
    const tPtr = SCRATCH_BASE + this.threads * SCRATCH_BYTES;
    const rPtr = tPtr + A * SS * 8;
    const btPtr = rPtr + SS * 8;
    const cPtr = btPtr + SS * 8;
    const termPtr = cPtr + SS * 8;
    if (!this.reserve(termPtr + SS * 8)) return false;
    const parallel = S * S * S >= PARALLEL_MIN;
    const heap = this.heap;
    if (this.residentT !== packedT) {
      // Each T_a packed as gemm's A operand, once per MDP (staged through R's slot).
      for (let a = 0; a < A; a++) {
        heap.set(packedT.subarray(a * SS, (a + 1) * SS), rPtr / 8);
        this.packAll(S, S, rPtr, tPtr + a * SS * 8);
      }
      this.residentT = packedT;
    }
    heap.set(term.subarray(0, SS), termPtr / 8);
    for (let a = 0; a < A; a++) {
      if (weights[a] === 0) continue;
      const ta = tPtr + a * SS * 8;
      copyRows(heap, rPtr / 8, { data: r, offset: a * S, rowStride: A * S }, S, 0, S);
      this.run(S, S, S, ta, rPtr, btPtr, S, OVERWRITE | PREPACKED, parallel);
      this.run(S, S, S, ta, btPtr, cPtr, S, OVERWRITE | PREPACKED, parallel);
      this.scaleAdd(termPtr, cPtr, SS, weights[a]);
    }
    term.set(heap.subarray(termPtr / 8, termPtr / 8 + SS));
    return true;
  }

  private product(rows: number, cols: number, depth: number, a: MatrixView, b: MatrixView, out: OutputView, alpha: number): boolean {
    // Its operands overwrite whatever dardTerm left in memory.
    this.residentT = undefined;
    const mPad = Math.ceil(rows / MR) * MR;
    const nPad = Math.ceil(cols / NR) * NR;
    const slice = Math.min(depth, DEPTH_SLICE);
    const same = rows === cols && a.data === b.data && a.offset === b.offset && a.rowStride === b.rowStride;
    // C, then a staging copy of `out` for the SIMD copy back, then the operands.
    const cPtr = SCRATCH_BASE + this.threads * SCRATCH_BYTES;
    const dPtr = cPtr + mPad * nPad * 8;
    const aPtr = dPtr + mPad * nPad * 8;
    const bPtr = same ? aPtr : aPtr + rows * slice * 8;
    // A packed once per slice for all column blocks (and threads).
    const pPtr = bPtr + cols * slice * 8;
    const end = pPtr + mPad * slice * 8;
    if (!this.reserve(end)) return false;
    const heap = this.heap;
    for (let k0 = 0; k0 < depth; k0 += slice) {
      const kn = Math.min(slice, depth - k0);
      copyRows(heap, aPtr / 8, a, rows, k0, kn);
      if (!same) copyRows(heap, bPtr / 8, b, cols, k0, kn);
      this.packAll(rows, kn, aPtr, pPtr);
      // The first slice overwrites C (no zeroing pass), later ones add to it.
      this.run(rows, cols, kn, pPtr, bPtr, cPtr, nPad, (k0 === 0 ? OVERWRITE : 0) | PREPACKED, rows * cols * kn >= PARALLEL_MIN);
    }
    const O = out.data;
    const ors = out.rowStride;
    const ocs = out.colStride;
    if (ocs === 1) {
      // Rows of `out` in, out += alpha * C in SIMD, rows back: block copies instead of a scalar
      // loop over a shared buffer (about half the time).
      copyRows(heap, dPtr / 8, { data: O, offset: out.offset, rowStride: ors }, rows, 0, cols, nPad);
      this.scaleAdd(dPtr, cPtr, (rows - 1) * nPad + cols, alpha);
      for (let i = 0; i < rows; i++) O.set(heap.subarray(dPtr / 8 + i * nPad, dPtr / 8 + i * nPad + cols), out.offset + i * ors);
      return true;
    }
    for (let i = 0; i < rows; i++) {
      const src = cPtr / 8 + i * nPad;
      let o = out.offset + i * ors;
      for (let j = 0; j < cols; j++, o += ocs) O[o] += alpha * heap[src + j];
    }
    return true;
  }

  /**
   * Stop the helpers (they are unref'd, so this is only needed to free them early). The kernel
   * stays usable, on the calling thread only.
   */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** C += A * B^T for one depth slice, in column blocks taken by whichever thread is free. */
  private run(m: number, n: number, k: number, a: number, b: number, c: number, nPad: number, flags: number, parallel: boolean): void {
    this.pool.run([m, n, k, a, b, c, nPad, flags], Math.ceil(nPad / CHUNK_COLS), parallel);
  }

  /** Grow the memory to at least `bytes`; false when that exceeds the maximum. */
  private reserve(bytes: number): boolean {
    if (!growMemory(this.memory, bytes)) return false;
    if (this.heap.buffer.byteLength !== this.memory.buffer.byteLength) this.heap = new Float64Array(this.memory.buffer);
    return true;
  }
}

/** Rows 0..rows of `m`, terms k0..k0+kn, to heap[at...] with row stride `stride`. */
function copyRows(heap: Float64Array, at: number, m: MatrixView, rows: number, k0: number, kn: number, stride = kn): void {
  for (let i = 0; i < rows; i++) {
    const s = m.offset + i * m.rowStride + k0;
    heap.set(m.data.subarray(s, s + kn), at + i * stride);
  }
}

/** A kernel instance, or undefined when the module was not built or cannot be instantiated here. */
export function createFloat64Gemm(options: Float64GemmOptions = {}): Float64Gemm | undefined {
  const file = options.file ?? gemm64Path();
  if (!file) return undefined;
  const threads = options.threads ?? Math.min(availableParallelism(), 4);
  try {
    return new Float64Gemm(file, threads);
  } catch {
    return undefined;
  }
}

/** Grows `memory` (of this module's kind) to at least `bytes`; false when that exceeds MAX_PAGES. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / PAGE);
  if (have / PAGE + pages > MAX_PAGES) return false;
  memory.grow(pages);
  return true;
}
