// Compiles native/openblasGemm.c (the optional OpenBLAS matrix product for dense layers, see
// src/core/tensor/wasm/nativeGemm.ts) to dist/openblasGemm.node. Linux x64 only, and only
// where a C compiler is found: elsewhere nothing is built and training uses the wasm product.
// OpenBLAS itself is not needed to build (the module opens libopenblas.so.0 when it loads).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const NATIVE_GEMM_OUT = 'dist/openblasGemm.node';

/** Builds the module; returns why it was not built, or undefined. A compile error throws. */
export function buildNativeGemm() {
  rmSync(NATIVE_GEMM_OUT, { force: true });
  if (process.platform !== 'linux' || process.arch !== 'x64') return `not built on ${process.platform}-${process.arch} (linux-x64 only)`;
  const compiler = process.env.CC || 'cc';
  if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) return `no C compiler (${compiler})`;
  const require = createRequire(import.meta.url);
  const headers = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
  const args = ['-O2', '-std=c11', '-D_GNU_SOURCE', '-Wall', '-Werror', '-shared', '-fPIC', '-pthread', '-fvisibility=hidden',
    '-I', headers, 'native/openblasGemm.c', '-o', NATIVE_GEMM_OUT, '-ldl'];
  const r = spawnSync(compiler, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${compiler} ${args.join(' ')} failed:\n${r.stderr}`);
  return undefined;
}
