import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DATA_DEFAULTS } from '../core/data/load';
import type { LoadedData } from '../core/data/types';
import type { DataConfig } from '../core/experiment/types';
import { writeJsonAtomic } from '../core/util/atomicFile';
import { createCommitment, type ResultCommitment, type TestSetIdentity } from '../core/zk/commitment';
import { CIRCUIT_SIZES, COMMITMENT_FILE, COMMITMENT_SECRET_FILE } from '../core/zk/scheme';

/**
 * At evaluation time of a completed classification run: from the final model's predictions of
 * the test split, write `commitment.json` (hash commitments of the predictions and the labels, and
 * the test set's SHA-256) and `commitment.secret.json` (the salts and values that open them,
 * readable by the owner only), from which `model-lab prove` makes zero-knowledge proofs.
 * Returns undefined (and says why) when the test split cannot be committed; never fails the run.
 */
export async function commitTestResults(a: {
  runDir: string;
  /** The final model's predicted class of every test example (`predictTestClasses`). */
  predictions: Int32Array;
  data: LoadedData;
  dataConfig: DataConfig;
  seed: number;
  log(level: 'info' | 'warn', message: string): void;
}): Promise<ResultCommitment | undefined> {
  const n = a.data.test.count;
  const max = CIRCUIT_SIZES[CIRCUIT_SIZES.length - 1];
  if (n < 1 || n > max) {
    a.log('info', `no result commitment: proofs cover 1 to ${max} test examples, this run has ${n}`);
    return undefined;
  }
  try {
    const { commitment, secret } = await createCommitment({
      predictions: a.predictions, labels: a.data.test.y, numClasses: a.data.numClasses, testSet: await testSetIdentity(a.dataConfig, a.seed),
    });
    // Owner-only from the first byte (a temp file created 0600, then renamed over).
    const secretFile = path.join(a.runDir, COMMITMENT_SECRET_FILE);
    const tmp = `${secretFile}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(secret) + '\n', { mode: 0o600 });
    await fs.rename(tmp, secretFile);
    await writeJsonAtomic(path.join(a.runDir, COMMITMENT_FILE), commitment);
    return commitment;
  } catch (e) {
    a.log('warn', `no result commitment: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/**
 * The test set's files and SHA-256 (of their bytes as stored, concatenated in config order: what
 * `sha256sum` prints for a single file). A split held out of the training file is identified by
 * that file and the hold-out parameters.
 */
export async function testSetIdentity(cfg: DataConfig, seed: number): Promise<TestSetIdentity> {
  const own = cfg.test !== undefined;
  const source = own ? cfg.test! : cfg.train;
  const files = typeof source === 'string' ? [source] : [source.images, source.labels];
  const hash = createHash('sha256');
  for (const file of files) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return {
    sha256: hash.digest('hex'),
    files: files.map((f) => path.basename(f)),
    ...(own ? {} : { heldOut: { fraction: cfg.testSplit ?? DATA_DEFAULTS.testSplit, seed, ...(cfg.limit !== undefined ? { limit: cfg.limit } : {}) } }),
  };
}
