import * as path from 'node:path';
import { UserError } from '../core/errors';
import { proveRun, verifyProofDir } from '../core/zk/prove';
import { parseCliArgs } from './args';
import type { Subcommand } from './io';

export const PROVE_USAGE = `model-lab prove RUN_DIR --metric accuracy --min T [--allow-list FILE] [--out DIR] [--json]
model-lab verify PROOF_DIR [--json]`;

/**
 * `model-lab prove`: a zero-knowledge proof that a completed run's committed test predictions
 * reach accuracy >= T (exit 0 with the proof folder; 2 with one line when the claim is false).
 */
export const proveCommand: Subcommand = async (argv, io) => {
  const { values, positionals } = parseCliArgs(argv, {
    metric: { type: 'string' },
    min: { type: 'string' },
    'allow-list': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(PROVE_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`expected one run folder\nusage: ${PROVE_USAGE}`);
  if (values.metric === undefined) throw new UserError('--metric is required (accuracy)');
  if (values.min === undefined || !/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(values.min)) {
    throw new UserError(`--min must be a number from 0 to 1, got ${values.min === undefined ? 'nothing' : `"${values.min}"`}`);
  }
  const started = Date.now();
  const { proofDir, claim } = await proveRun(path.resolve(io.cwd, positionals[0]), {
    metric: values.metric,
    min: Number(values.min),
    allowList: values['allow-list'] !== undefined ? path.resolve(io.cwd, values['allow-list']) : undefined,
    outDir: values.out !== undefined ? path.resolve(io.cwd, values.out) : undefined,
    onProgress: (m) => io.stderr(`${m}\n`),
  });
  if (values.json) io.stdout(JSON.stringify({ proofDir, claim }) + '\n');
  else io.stdout(`proved accuracy >= ${claim.min} (${claim.minCorrect} of ${claim.n}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n  proof folder: ${proofDir}\n`);
  return 0;
};

/** `model-lab verify`: exit 0 when the proof folder is valid, 1 when it is not; needs no run data. */
export const verifyCommand: Subcommand = async (argv, io) => {
  const { values, positionals } = parseCliArgs(argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.stdout(PROVE_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UserError(`expected one proof folder\nusage: ${PROVE_USAGE}`);
  const result = await verifyProofDir(path.resolve(io.cwd, positionals[0]));
  if (values.json) io.stdout(JSON.stringify(result) + '\n');
  else if (result.valid) io.stdout(`valid: ${result.claim.statement}\n`);
  else io.stdout(`invalid: ${result.reason}\n`);
  return result.valid ? 0 : 1;
};
