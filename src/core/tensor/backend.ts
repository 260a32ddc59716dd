import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { UserError } from '../errors';
import { registerWasmKernelFixes } from './wasm';
import { kernelThreads } from './wasm/threads';
import { chooseSimdKernels, SHARED_BACKEND_FILE, simdKernelsPath } from './wasm/simdKernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

/** What a run computes on; printed with every run. */
export interface BackendInfo {
  name: BackendName;
  /** Threads the backend computes with (wasm: this project's kernels' threads, `kernelThreads`). */
  threads: number;
  /** Whether vectorised code runs: the wasm SIMD build, or native TensorFlow (always vectorised). */
  simd: boolean;
  /** Whether this project's wasm matrix product runs with fused multiply-adds (relaxed SIMD; wasm only). */
  fma: boolean;
  /** Kernels this project registered on top of the stock backend (wasm only). */
  patchedKernels: string[];
}

/** Overrides the `prefer` argument; lets tests and benchmarks pick a backend without code changes. */
export const BACKEND_ENV_VAR = 'MODEL_LAB_BACKEND';

const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * Select and initialise the tfjs backend: native TensorFlow (`@tensorflow/tfjs-node`) when it is
 * installed, else wasm (SIMD) with this project's kernel fixes, else the pure-JS cpu backend.
 *
 * Idempotent: calling it again with the same preference re-selects the same backend and returns
 * an equal `BackendInfo`; the state lives in tfjs's own engine and kernel registry (which is
 * process-global by tfjs's design), not in this module.
 *
 * An explicit preference that cannot be satisfied is a `UserError` (the user asked for it);
 * `auto` falls through silently.
 */
export async function initBackend(prefer: BackendPreference = 'auto'): Promise<BackendInfo> {
  const fromEnv = process.env[BACKEND_ENV_VAR];
  const choice = fromEnv ? parsePreference(fromEnv, BACKEND_ENV_VAR) : parsePreference(prefer, 'backend');

  if (choice === 'auto' || choice === 'tensorflow') {
    if (loadTfjsNode() && (await tf.setBackend('tensorflow'))) {
      return { name: 'tensorflow', threads: nativeThreads(), simd: true, fma: false, patchedKernels: [] };
    }
    if (choice === 'tensorflow') {
      throw new UserError(
        "backend 'tensorflow' needs the optional package @tensorflow/tfjs-node, which is not installed " +
          "(npm install @tensorflow/tfjs-node); use 'auto', 'wasm' or 'cpu'",
      );
    }
  }
  if (choice === 'auto' || choice === 'wasm') {
    if (await setWasmBackend()) {
      const patchedKernels = registerWasmKernelFixes();
      return {
        name: 'wasm',
        // The matrix products run on our threads (threads.ts); tfjs's own kernels on one.
        threads: patchedKernels.length ? kernelThreads() : getThreadsCount(),
        simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
        fma: chooseSimdKernels()?.fma ?? false,
        patchedKernels,
      };
    }
    if (choice === 'wasm') {
      throw new UserError("backend 'wasm' could not be initialised (its .wasm files were not found or failed to load)");
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
  return { name: 'cpu', threads: 1, simd: false, fma: false, patchedKernels: [] };
}

function parsePreference(value: string, field: string): BackendPreference {
  if ((PREFERENCES as readonly string[]).includes(value)) return value as BackendPreference;
  throw new UserError(`${field} must be one of ${PREFERENCES.join(', ')}; got '${value}'`, field === 'backend' ? '/backend' : undefined);
}

/**
 * Requires the optional native backend, which registers the 'tensorflow' backend on import.
 * The name is held in a variable so that esbuild leaves the require alone (it is also external).
 */
function loadTfjsNode(): boolean {
  if (tf.findBackendFactory('tensorflow')) return true;
  const nativeModule = '@tensorflow/tfjs-node';
  try {
    require(nativeModule);
  } catch {
    return false;
  }
  return tf.findBackendFactory('tensorflow') != null;
}

function nativeThreads(): number {
  // libtensorflow sizes its intra-op pool to the machine's cores unless TF_NUM_INTRAOP_THREADS is set.
  const configured = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
}

/**
 * Points the wasm backend at its binaries and selects it.
 *
 * Single-threaded in Node, on purpose: tfjs-backend-wasm 4.22 reports no thread support in Node
 * (flag WASM_HAS_MULTITHREAD_SUPPORT, tfjs issue #3830). Forcing the flag on selects the threaded
 * build, whose init hands Emscripten its pthread worker script as a `blob:` object URL; Node's
 * worker_threads only load file paths and file:/data: URLs, so init fails with ERR_WORKER_PATH
 * (verified). Replacing the global `Blob`/`URL.createObjectURL` while the backend starts (writing
 * both scripts to temporary files, the worker told to import the emscripten main script from its
 * file) gets the threaded build to initialise with its 8 pooled workers, but XNNPACK then reports
 * 1 thread (`get_threads_count`) and a [128,784]x[784,512] matmul is no faster (measured
 * 2026-11-27). So the single-threaded SIMD build runs, from a copy whose memory is shared
 * (`SHARED_BACKEND_FILE`, made by the build): this project's kernels use several threads on it
 * (wasm/threads.ts). The build copies the .wasm files next
 * to the bundle (dist/), so they are looked for there first; from sources (tests, tsx) they come
 * from the npm package. `setWasmPaths` must run before the backend's first initialisation only.
 */
async function setWasmBackend(): Promise<boolean> {
  const alreadyInitialised = tf.engine().registry.wasm != null;
  if (!alreadyInitialised) {
    const dir = wasmBinaryDir();
    if (dir == null) return false;
    const shared = simdKernelsPath(SHARED_BACKEND_FILE);
    if (shared && simdKernelsPath()) {
      // (With the kernels, which import a shared memory: both come from the same build.)
      const file = (name: string) => path.join(dir, name);
      setWasmPaths({
        'tfjs-backend-wasm.wasm': file('tfjs-backend-wasm.wasm'),
        'tfjs-backend-wasm-simd.wasm': shared,
        'tfjs-backend-wasm-threaded-simd.wasm': file('tfjs-backend-wasm-threaded-simd.wasm'),
      });
    } else {
      // The prefix is concatenated with the file name, so it must end with a separator.
      setWasmPaths(/[\\/]$/.test(dir) ? dir : dir + '/');
    }
  }
  try {
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

function wasmBinaryDir(): string | undefined {
  const binary = 'tfjs-backend-wasm-simd.wasm';
  if (existsSync(path.join(__dirname, binary))) return __dirname;
  try {
    return path.dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${binary}`));
  } catch {
    return undefined;
  }
}
