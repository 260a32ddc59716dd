import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeGemm } from './nativeGemm';
import { boundSimdKernels } from './simdKernels';
import { kernelThreads } from './threads';

/**
 * Native work left running behind the main thread (round 10): the optimizer step after a fused
 * dense step (`adamStepsInPlace`) is handed to the native module's helper threads, and the call
 * returns; the main thread goes on with the trainer's JavaScript (the step's bookkeeping, the next
 * batch's gathers, the next kernel's setup), which before ran while the helpers waited. The main
 * thread joins what is left at the FENCE: before anything reads or writes a tensor the job writes,
 * or frees one it reads.
 *
 * The fence is not left to callers. Every access to a tensor's data on the wasm backend goes
 * through `backend.dataIdMap.get` (tfjs's kernels, ours, `readSync`, `disposeData`), so that lookup
 * is wrapped: for a tensor the job writes (the weights and moments) it fences first. A tensor the
 * job only reads (the gradients) is held by one backend reference until the fence, so that its
 * disposal (the trainer's `tf.tidy` ends right after the step) does not free its memory under the
 * helpers; at the fence the reference is dropped, and the memory freed if nothing else holds it.
 * The native module itself joins the job before any other call into it (the next step's products).
 *
 * Results do not change (the same blocks of the same arithmetic, whichever thread runs them); only
 * when the main thread waits for them. `MODEL_LAB_ADAM_OVERLAP=0` turns it off: the job is then
 * joined before the call returns, as before.
 */
export const OVERLAP_ENV_VAR = 'MODEL_LAB_ADAM_OVERLAP';

type DataId = object;

interface Pending {
  gemm: NativeGemm;
  backend: BackendWasm;
  /** Tensors the job writes: any access fences first. */
  written: Set<DataId>;
  /** Tensors the job reads: held by one backend reference until the fence. */
  held: DataId[];
}

let pending: Pending | undefined;

const HOOKED = Symbol.for('model-lab.wasm.behindHook');
type Hooked = BackendWasm & { [HOOKED]?: { get: (id: DataId) => unknown; disposeData: (id: DataId, force?: boolean) => boolean } };

/** Whether a job may be left behind now: the switch, threads to run it, and a memory that never moves (shared). */
export function canRunBehind(backend: BackendWasm, gemm: NativeGemm): boolean {
  return process.env[OVERLAP_ENV_VAR] !== '0' && typeof gemm.fence === 'function' && kernelThreads() > 1 &&
    typeof SharedArrayBuffer !== 'undefined' && boundSimdKernels(backend).memory.buffer instanceof SharedArrayBuffer;
}

/** Wraps the backend's data lookup and disposal once (see above); the originals are kept for the fence. */
function hook(backend: BackendWasm): NonNullable<Hooked[typeof HOOKED]> {
  const b = backend as Hooked;
  if (b[HOOKED]) return b[HOOKED];
  const storage = backend.dataIdMap;
  const get = storage.get.bind(storage);
  const disposeData = backend.disposeData.bind(backend);
  storage.get = (dataId: DataId) => {
    if (pending !== undefined && pending.written.has(dataId)) fence();
    return get(dataId);
  };
  backend.disposeData = (dataId: DataId, force?: boolean) => {
    if (pending !== undefined && (pending.written.has(dataId) || (force === true && pending.held.includes(dataId)))) fence();
    return disposeData(dataId, force);
  };
  b[HOOKED] = { get, disposeData };
  return b[HOOKED];
}

/**
 * Starts a job behind the main thread: `written` and `read` are the tensors it writes and reads
 * (their heap offsets already taken: a lookup of a written one would fence), `start` makes the
 * native call that leaves the job to the helpers. One job at a time: a previous one is joined first.
 */
export function runBehind(gemm: NativeGemm, backend: BackendWasm, written: tf.TensorInfo[], read: tf.TensorInfo[], start: () => void): void {
  fence();
  hook(backend);
  for (const t of read) backend.incRef(t.dataId);
  pending = { gemm, backend, written: new Set(written.map((t) => t.dataId)), held: read.map((t) => t.dataId) };
  start();
}

/** Whether a job is left behind (not yet joined). */
export function runningBehind(): boolean {
  return pending !== undefined;
}

/**
 * Joins the job left behind, if any: the main thread computes the blocks no helper took and waits
 * for the rest; then the held tensors are released (freed if they were disposed meanwhile).
 */
export function fence(): void {
  const p = pending;
  if (p === undefined) return;
  pending = undefined;
  p.gemm.fence!();
  const { disposeData } = hook(p.backend);
  for (const dataId of p.held) {
    // Freed now: the tensor was disposed while held, and tfjs's engine kept its entry (the backend said "not freed").
    if (disposeData(dataId)) tf.engine().removeDataId(dataId, p.backend);
  }
}
