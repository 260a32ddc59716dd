/**
 * Which OpenBLAS each engine of `bench:throughput` runs on. Debian installs two builds of
 * libopenblas.so.0 side by side and picks one system-wide by `update-alternatives`; with the
 * pthread build, PyTorch's OpenMP threads and OpenBLAS's own threads fight over the cores and
 * PyTorch's 2-thread MLP collapses to a third of its 1-thread speed (measured 2026-12-08: 8,220
 * vs 23,718 samples/s), which would make any comparison against "PyTorch at its best" a
 * comparison against a broken reference. So the bench points both engines at the OpenMP build
 * when it is installed (no system change: an environment variable per engine) and prints the
 * library each one actually mapped.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** `openmp`: both engines on Debian's OpenMP build (the default where it is installed); `system`: whatever the system picks. */
export type BlasChoice = 'openmp' | 'system';

const MULTIARCH_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'];

/** The directory of Debian's OpenMP build of OpenBLAS, if installed. */
export function openmpBlasDir(exists: (p: string) => boolean = existsSync): string | undefined {
  return MULTIARCH_DIRS.map((d) => path.join(d, 'openblas-openmp')).find((d) => exists(path.join(d, 'libopenblas.so.0')));
}

/**
 * The environment for each engine under `choice`: `ours` for this process (read by the native
 * product's loader, `MODEL_LAB_OPENBLAS`), `reference` for the PyTorch child (its dynamic loader
 * reads `LD_LIBRARY_PATH`), given the OpenMP build's directory (`openmpBlasDir()`). A user's own
 * `MODEL_LAB_OPENBLAS` is kept.
 */
export function blasEnvironment(
  choice: BlasChoice,
  env: NodeJS.ProcessEnv,
  dir: string | undefined,
): { ours: NodeJS.ProcessEnv; reference: NodeJS.ProcessEnv; note: string } {
  if (choice === 'system') return { ours: env, reference: env, note: 'the system\'s OpenBLAS (--blas system)' };
  if (!dir) return { ours: env, reference: env, note: 'no OpenMP OpenBLAS installed (libopenblas0-openmp): the system\'s' };
  const library = path.join(dir, 'libopenblas.so.0');
  return {
    ours: env.MODEL_LAB_OPENBLAS ? env : { ...env, MODEL_LAB_OPENBLAS: library },
    reference: { ...env, LD_LIBRARY_PATH: env.LD_LIBRARY_PATH ? `${dir}:${env.LD_LIBRARY_PATH}` : dir },
    note: `OpenMP OpenBLAS (${dir}) for both engines`,
  };
}

/** The BLAS libraries a process has mapped, from the text of its `/proc/PID/maps`. */
export function mappedBlas(maps: string): string[] {
  const found = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.trim().split(/\s+/)[5];
    if (file && /\/lib(open)?blas[^/]*\.so/.test(file)) found.add(file);
  }
  return [...found];
}

/** The BLAS libraries this process has mapped (none before the native product is loaded, or off Linux). */
export function ownMappedBlas(): string[] {
  try {
    return mappedBlas(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return [];
  }
}
