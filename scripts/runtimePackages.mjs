// Packages the extension loads at run time from dist/node_modules instead of bundling them:
// o1js (the zero-knowledge prover) loads its wasm and worker files relative to its own folder,
// so it cannot be inlined by esbuild. For the .vsix they are copied (production files only).
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export const RUNTIME_PACKAGES = ['o1js'];
/** o1js's optional native backend (per-platform binaries) is not used: its proofs cannot be serialised. */
const SKIPPED = /^node_modules\/@o1js\/native/;

/**
 * The production dependency closure of `roots`, from package-lock.json: lock paths such as
 * `node_modules/o1js` and `node_modules/@o1js/native-linux-x64` (optional ones only when installed).
 */
export function runtimeClosure(roots = RUNTIME_PACKAGES, lockFile = 'package-lock.json') {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')).packages;
  const resolve = (from, name) => {
    for (let dir = from; ; dir = posix.dirname(posix.dirname(dir))) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock[candidate]) return candidate;
      if (!dir || !dir.includes('node_modules/')) return lock[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
    }
  };
  const seen = new Set();
  const visit = (key) => {
    if (!key || seen.has(key) || SKIPPED.test(key) || !existsSync(key)) return;
    seen.add(key);
    const entry = lock[key];
    for (const dep of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) visit(resolve(key, dep));
  };
  for (const root of roots) visit(resolve('', root));
  return [...seen].sort();
}

/** Copies the closure into `outDir` (keeping the node_modules layout), without source maps, sources and types. */
export function copyRuntimePackages(outDir) {
  const keys = runtimeClosure();
  for (const key of keys) {
    cpSync(key, join(outDir, key), {
      recursive: true,
      filter: (src) => !/\.(map|d\.ts|d\.cts|d\.mts|ts)$/.test(src) && !/^[\\/](src|dist[\\/]web|node_modules)$/.test(src.slice(key.length)),
    });
  }
  return keys;
}
