// Bundles the extension, the run worker, the CLI (Node) and one browser bundle per webview panel.
// The wasm backend's .wasm files are copied next to the bundles (the backend looks there first).
import * as esbuild from 'esbuild';
import asc from 'assemblyscript/asc';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { copyRuntimePackages, RUNTIME_PACKAGES, runtimeClosure } from './runtimePackages.mjs';
import { buildNativeGemm } from './native/build.mjs';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeEntries = {
  extension: 'src/vscode/extension.ts',
  runWorker: 'src/runner/worker.ts',
  cli: 'src/cli.ts',
};
/**
 * Fails the build when a bundle contains a module it must not: the extension host never loads
 * TensorFlow.js (training and models run in the runner's child processes, see
 * docs/architecture.md), and the webviews run in a browser. The error names the import chain.
 */
const forbiddenInBundle = {
  'dist/extension.js': /(^|\/)node_modules\/@tensorflow\//,
  'dist/webview/': /(^|\/)node_modules\/@tensorflow\//,
};
const bundleRules = {
  name: 'bundle-rules',
  setup(build) {
    build.onEnd((result) => ({ errors: result.metafile ? bundleRuleErrors(result.metafile) : [] }));
  },
};

/** One error per bundle that includes a forbidden module, with how the entry point reaches it. */
function bundleRuleErrors(metafile) {
  const errors = [];
  for (const [output, meta] of Object.entries(metafile.outputs)) {
    const rule = Object.entries(forbiddenInBundle).find(([prefix]) => output === prefix || (prefix.endsWith('/') && output.startsWith(prefix)));
    if (!rule || !meta.entryPoint) continue;
    const bad = Object.keys(meta.inputs).find((input) => rule[1].test(input));
    if (bad) errors.push({ text: `${output} must not contain ${bad}: ${importChain(metafile, meta.entryPoint, bad).join(' -> ')}` });
  }
  return errors;
}

/** The shortest chain of imports from `from` to `to` in esbuild's metafile. */
function importChain(metafile, from, to) {
  const previous = new Map([[from, undefined]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift();
    if (at === to) break;
    for (const { path: next } of metafile.inputs[at]?.imports ?? []) {
      if (!previous.has(next)) { previous.set(next, at); queue.push(next); }
    }
  }
  const chain = [];
  for (let at = to; at !== undefined; at = previous.get(at)) chain.unshift(at);
  return chain;
}

const node = {
  entryPoints: Object.fromEntries(Object.entries(nodeEntries).filter(([, f]) => existsSync(f))),
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: 'dist',
  // jsonc-parser's UMD main requires its modules dynamically; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  sourcemap: !production, minify: production, logLevel: 'warning',
  // vscode is provided by the host; tfjs-node is optional and native; o1js is loaded from
  // dist/node_modules (copied below for the .vsix, see runtimePackages.mjs).
  external: ['vscode', '@tensorflow/tfjs-node', ...RUNTIME_PACKAGES],
  metafile: true, plugins: [bundleRules],
};
const webviewEntries = existsSync('webview')
  ? readdirSync('webview', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join('webview', d.name, 'main.ts')))
      .map((d) => [d.name, join('webview', d.name, 'main.ts')])
  : [];
const web = {
  entryPoints: Object.fromEntries(webviewEntries),
  bundle: true, platform: 'browser', target: 'es2022', format: 'iife', outdir: 'dist/webview',
  sourcemap: !production, minify: production, logLevel: 'warning',
  loader: { '.css': 'text' },
  metafile: true, plugins: [bundleRules],
};

mkdirSync('dist', { recursive: true });
rmSync('dist/node_modules', { recursive: true, force: true });
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) cpSync(join(wasmDir, f), join('dist', f));
// The SIMD backend with its memory declared shared (one flag bit of its memory section): this
// project's kernels then run on its tensors from helper threads too (src/core/tensor/wasm/threads.ts).
writeFileSync('dist/tfjs-backend-wasm-simd-shared.wasm', withSharedMemory(readFileSync(join(wasmDir, 'tfjs-backend-wasm-simd.wasm'))));

// This project's SIMD kernels (src/core/tensor/wasm/assembly) -> dist/simdKernels.wasm. They run on the
// tfjs backend's own memory, so the module must not carry data segments, globals or a stack
// (anything it would place in memory on its own would overwrite tfjs's heap): checked here.
const simdSource = 'src/core/tensor/wasm/assembly/kernels.ts';
// Two builds: plain SIMD, and one whose matrix product uses relaxed SIMD's fused multiply-add
// (about 1.7x faster here; the loader picks it where the runtime accepts it).
// Node 20 accepts relaxed SIMD only behind a flag (see src/core/tensor/wasm/simdKernels.ts).
setFlagsFromString('--experimental-wasm-relaxed-simd');
for (const [simdOut, features] of [['dist/simdKernels.wasm', ['simd']], ['dist/simdKernelsFma.wasm', ['simd', 'relaxed-simd']]]) {
  // Shared memory, the backend's maximum (65536 pages): it imports the shared backend memory above.
  const { error } = await asc.main([simdSource, '-O3', '--runtime', 'stub', '--importMemory', '--noExportMemory',
    '--sharedMemory', '--maximumMemory', '65536', ...['threads', ...features].flatMap((f) => ['--enable', f]), '--outFile', simdOut]);
  if (error) throw error;
  const simdModule = new WebAssembly.Module(readFileSync(simdOut));
  const imports = WebAssembly.Module.imports(simdModule).map((i) => `${i.module}.${i.name}:${i.kind}`);
  if (imports.join() !== 'env.memory:memory' || hasSection(readFileSync(simdOut), [6, 11])) {
    throw new Error(`${simdOut} must import only env.memory and have no globals or data segments`);
  }
}

// The optional OpenBLAS product for dense layers (native/openblasGemm.c) -> dist/openblasGemm.node.
const nativeSkipped = buildNativeGemm();
if (nativeSkipped) console.log(`dist/openblasGemm.node ${nativeSkipped}: dense layers use the wasm product`);

// The float64 GEMM for the reward canonicalisations and the pairwise stage of distance matrices
// (src/core/reward/wasm/assembly) -> dist/gemm64.wasm. It imports a shared memory that its
// loaders lay out from address 0 (control block, scratch, operands) and that helper threads
// share, so it too must carry no data segments or globals. --maximumMemory must match MAX_PAGES
// in src/core/reward/wasm/float64Gemm.ts. The loaders need all five exports.
// Built twice, like the tensor kernels: plain SIMD, and with relaxed SIMD's fused multiply-add.
const gemmSource = 'src/core/reward/wasm/assembly/gemm64.ts';
for (const [gemmOut, features] of [['dist/gemm64.wasm', ['simd', 'threads']], ['dist/gemm64Fma.wasm', ['simd', 'threads', 'relaxed-simd']]]) {
  const gemmBuild = await asc.main([gemmSource, '-O3', '--runtime', 'stub', '--importMemory', '--noExportMemory',
    '--sharedMemory', '--maximumMemory', '32768', ...features.flatMap((f) => ['--enable', f]), '--outFile', gemmOut]);
  if (gemmBuild.error) throw gemmBuild.error;
  const gemmModule = new WebAssembly.Module(readFileSync(gemmOut));
  const gemmImports = WebAssembly.Module.imports(gemmModule).map((i) => `${i.module}.${i.name}:${i.kind}`);
  if (gemmImports.join() !== 'env.memory:memory' || hasSection(readFileSync(gemmOut), [6, 11])) {
    throw new Error(`${gemmOut} must import only env.memory and have no globals or data segments`);
  }
  const gemmExports = WebAssembly.Module.exports(gemmModule).map((e) => e.name).sort().join();
  if (gemmExports !== 'gemm,packAll,pairBlock,scaleAdd,scaleTranspose') throw new Error(`${gemmOut} exports ${gemmExports}, expected gemm, packAll, pairBlock, scaleAdd, scaleTranspose`);
}

/**
 * A copy of a wasm binary whose one defined memory is shared: the limits' flag byte 0x01 (has a
 * maximum) becomes 0x03 (shared, has a maximum); same size, nothing else changes. Fails on a
 * layout it does not expect (a tfjs update), so the build says so instead of shipping a broken file.
 */
function withSharedMemory(bytes) {
  const out = Uint8Array.from(bytes);
  let p = 8;
  const leb = () => { let v = 0, shift = 0, b; do { b = out[p++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return v >>> 0; };
  while (p < out.length) {
    const id = out[p++];
    const size = leb();
    if (id === 5) {
      const count = leb();
      if (count !== 1 || out[p] !== 0x01) throw new Error(`unexpected memory section in the tfjs wasm binary (count ${count}, flags ${out[p]})`);
      out[p] = 0x03;
      new WebAssembly.Module(out);
      return out;
    }
    p += size;
  }
  throw new Error('the tfjs wasm binary defines no memory');
}

/** Whether a wasm binary has any of the given section ids (6 global, 11 data). */
function hasSection(bytes, ids) {
  let p = 8;
  const leb = () => { let v = 0, shift = 0, b; do { b = bytes[p++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return v; };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (ids.includes(id)) return true;
    p += size;
  }
  return false;
}

// The experiment validators as standalone code (no schema compile in every run process).
{
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/experimentValidators.ts', 'dist'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/experimentValidators.ts failed');
}

const configs = [node, ...(webviewEntries.length ? [web] : [])];
if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
} else {
  const results = await Promise.all(configs.map((c) => esbuild.build(c)));
  // What ships in dist/: the packages esbuild bundled and the ones copied whole. The licence
  // test (test/build/licences.test.ts) reads this list.
  const bundled = results.flatMap((r) => Object.keys(r.metafile.inputs)).flatMap((f) => {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(f);
    return m ? [m[1]] : [];
  });
  const copied = production ? copyRuntimePackages('dist') : runtimeClosure();
  writeFileSync('dist/bundled-packages.json', JSON.stringify({ bundled: [...new Set(bundled)].sort(), copied }, null, 2) + '\n');
}
