/**
 * Writes the experiment validators as standalone code (Ajv's `standaloneCode`) next to the
 * bundles, so runs and CLI commands load them instead of compiling the schema (see
 * `standaloneValidator` in src/core/experiment/schema.ts). Run by scripts/build.mjs.
 *   node --import tsx scripts/experimentValidators.ts OUT_DIR
 */
import standaloneCode from 'ajv/dist/standalone';
import { buildSync } from 'esbuild';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import experimentSchema from '../schemas/experiment.schema.json';
import { makeAjv, schemaHash, STANDALONE_VALIDATORS } from '../src/core/experiment/schema';

const out = process.argv[2] ?? 'dist';
for (const [which, file] of Object.entries(STANDALONE_VALIDATORS)) {
  const ajv = makeAjv(which === 'withDefaults', true);
  const code = standaloneCode(ajv, ajv.compile(experimentSchema));
  // Bundled: the code requires Ajv's small runtime helpers, and dist/ has no node_modules.
  const bundled = buildSync({ stdin: { contents: code, resolveDir: process.cwd(), loader: 'js' }, bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, write: false, logLevel: 'error' });
  writeFileSync(path.join(out, file), `${bundled.outputFiles[0].text}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash())};\n`);
}
