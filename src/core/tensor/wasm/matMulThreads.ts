import { availableParallelism } from 'node:os';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WasmThreads } from '../../util/wasmThreads';
import { disposeInfos } from './kernelCall';
import { boundSimdKernels } from './simdKernels';

/**
 * The float32 matrix product behind every training kernel (MatMul, dense layers forward and
 * backward, convolutions and their gradients via im2col) on several threads: the wasm backend's
 * memory is shared (its binary is built so, see simdKernels.ts), so helper threads
 * (util/wasmThreads.ts) run `matMulBlock` on the tensors in place, nothing copied.
 *
 * Bit-identical whatever the thread count: a product is split into blocks of whole output rows
 * or whole output columns, never along the sum, and `matMulBlock` sums every element of C the
 * same way whatever block it is in (same depth slices in the same order, each summed in order).
 *
 * The split: along columns when op(A) is the smaller operand (each block packs op(A) again),
 * else along rows (each block packs op(B) again); twice as many blocks as threads, so a thread
 * slowed by another process leaves its share to the others. Products below `PARALLEL_MIN`
 * multiply-adds stay on the calling thread: waking helpers costs more than they save there.
 */

/**
 * Multiply-adds from which a product is shared. Measured on this 2-core machine
 * (scripts/bench/matMulThreads.ts, products m = n = k): at 2^17 (50^3) two threads are no faster
 * than one, at 2^18 they are, and the gap widens from there.
 */
export const PARALLEL_MIN = 1 << 20;
/** Must match assembly/matMul.ts's register tile. */
const MR = 4;
const NR = 8;

/** Overrides the thread count (tests, benchmarks); the runner's setting goes through `setKernelThreads`. */
export const THREADS_ENV_VAR = 'MODEL_LAB_THREADS';

let configured: number | undefined;

/** Threads for the training kernels, the caller included: `setKernelThreads`, else MODEL_LAB_THREADS, else every core. */
export function kernelThreads(): number {
  if (configured !== undefined) return configured;
  const fromEnv = Number(process.env[THREADS_ENV_VAR]);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : availableParallelism();
}

/** Sets the thread count for the training kernels of this process (undefined: back to the default). */
export function setKernelThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`threads must be a positive integer; got ${threads}`);
  configured = threads;
}

/** One work item: a block of rows (split 1) or columns (split 0) of C. Arguments: see `matMulThreaded`. */
const ITEM_SOURCE = `function matMulItem(x, g, index, thread) {
  const m = g[0], n = g[1], chunk = g[12];
  const scratch = g[9] + thread * g[10];
  if (g[11]) {
    const i0 = index * chunk;
    x.matMulBlock(m, n, g[2], g[3], g[4], g[5], g[6], g[7], g[8], scratch, i0, Math.min(m, i0 + chunk), 0, n);
  } else {
    const j0 = index * chunk;
    x.matMulBlock(m, n, g[2], g[3], g[4], g[5], g[6], g[7], g[8], scratch, 0, m, j0, Math.min(n, j0 + chunk));
  }
}`;

/** Helper threads per backend (and thread count), kept on the backend object like the kernels. */
const POOL = Symbol.for('model-lab.wasm.matMulThreads');
type WithPool = BackendWasm & { [POOL]?: WasmThreads };

function pool(backend: BackendWasm, threads: number): WasmThreads {
  const holder = backend as WithPool;
  const existing = holder[POOL];
  if (existing && existing.threads === threads) return existing;
  void existing?.close();
  const { module, memory } = boundSimdKernels(backend);
  const created = new WasmThreads({ name: 'training matrix product', module, memory, itemSource: ITEM_SOURCE, threads });
  holder[POOL] = created;
  return created;
}

/** The helper threads' statistics for `backend` (tests: shows they took part). */
export function matMulHelperItems(backend: BackendWasm): number {
  return (backend as WithPool)[POOL]?.helperItems ?? 0;
}

/**
 * C (m x n, at heap offset c) = op(A) op(B), as `SimdKernels.matMul` with the same arguments,
 * on `kernelThreads()` threads when the product has at least `minimum` (`PARALLEL_MIN`) multiply-adds.
 */
export function matMulThreaded(
  backend: BackendWasm,
  m: number, n: number, k: number, a: number, aRow: number, aK: number, b: number, bTransposed: number, c: number,
  { minimum = PARALLEL_MIN }: { minimum?: number } = {},
): void {
  const { kernels } = boundSimdKernels(backend);
  const threads = kernelThreads();
  const columns = m < n;
  const tiles = columns ? Math.ceil(n / NR) : Math.ceil(m / MR);
  const items = Math.min(tiles, 2 * threads);
  if (threads === 1 || items < 2 || m * n * k < minimum) {
    const scratch = backend.makeOutput([kernels.matMulScratch(n, k)], 'float32');
    kernels.matMul(m, n, k, a, aRow, aK, b, bTransposed, c, backend.dataIdMap.get(scratch.dataId)!.memoryOffset);
    disposeInfos(backend, scratch);
    return;
  }
  const chunk = columns ? Math.ceil(n / NR / items) * NR : Math.ceil(m / MR / items) * MR;
  const count = Math.ceil((columns ? n : m) / chunk);
  // One scratch area per thread, 16-byte aligned.
  const stride = Math.ceil(kernels.matMulScratch(columns ? chunk : n, k) / 4) * 16;
  const scratch = backend.makeOutput([(stride / 4) * threads], 'float32');
  const s = backend.dataIdMap.get(scratch.dataId)!.memoryOffset;
  try {
    pool(backend, threads).run([m, n, k, a, aRow, aK, b, bTransposed, c, s, stride, columns ? 0 : 1, chunk], count);
  } finally {
    disposeInfos(backend, scratch);
  }
}
