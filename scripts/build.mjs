// Bundles the extension, the run worker, the CLI (Node) and one browser bundle per webview panel.
// The wasm backend's .wasm files are copied next to the bundles (the backend looks there first).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const nodeEntries = {
  extension: 'src/vscode/extension.ts',
  runWorker: 'src/runner/worker.ts',
  cli: 'src/cli.ts',
  rewardsWorker: 'src/vscode/rewards/rewardsWorker.ts',
};
const node = {
  entryPoints: Object.fromEntries(Object.entries(nodeEntries).filter(([, f]) => existsSync(f))),
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: 'dist',
  // jsonc-parser's UMD main requires its modules dynamically; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  sourcemap: !production, minify: production, logLevel: 'warning',
  // vscode is provided by the host; tfjs-node is optional and native.
  external: ['vscode', '@tensorflow/tfjs-node'],
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
};

mkdirSync('dist', { recursive: true });
const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) cpSync(join(wasmDir, f), join('dist', f));

const configs = [node, ...(webviewEntries.length ? [web] : [])];
if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
