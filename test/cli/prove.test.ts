import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// `model-lab run`, `prove` and `verify` as users run them (the built program, o1js loaded
// from node_modules beside it): a tiny digits run with 13 test examples, so the smallest circuit.
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'model-lab.js');
const DIGITS = path.join(root, 'examples', 'digits', 'digits.csv.gz');
const env = { ...process.env, MODEL_LAB_CACHE_DIR: process.env.MODEL_LAB_CACHE_DIR ?? path.join(tmpdir(), 'model-lab-test-cache') };

interface Result { code: number | null; stdout: string; stderr: string }

function cli(args: string[]): Promise<Result> {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'build first (npm run build)');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a completed run commits its test results; prove makes a proof anyone can verify, exit 2 for a false claim, exit 1 after tampering', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-prove-'));
  const experiment = path.join(dir, 'small.experiment.json');
  writeFileSync(experiment, JSON.stringify({
    kind: 'train', name: 'small-digits',
    data: { format: 'csv', train: DIGITS, label: 'last', scale: 16, testSplit: 0.2, limit: 64 },
    model: { inputShape: [64], layers: [{ name: 'fc', type: 'dense', units: 16, activation: 'relu' }, { name: 'out', type: 'dense', units: 10, activation: 'softmax' }] },
    training: { epochs: 3, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 1 },
  }));
  const run = await cli(['run', experiment, '--json', '--out', path.join(dir, 'runs')]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout) as { runDir: string; metrics: { accuracy: number } };

  // Written at evaluation time: public commitments and the test file's hash; the secret owner-only.
  const commitment = JSON.parse(readFileSync(path.join(summary.runDir, 'commitment.json'), 'utf8'));
  assert.equal(commitment.n, 13);
  assert.equal(commitment.accuracy, summary.metrics.accuracy, 'the committed predictions are the evaluated ones');
  assert.equal(commitment.testSet.sha256, createHash('sha256').update(readFileSync(DIGITS)).digest('hex'));
  assert.deepEqual(commitment.testSet.heldOut, { fraction: 0.2, seed: 1, limit: 64 });
  assert.equal(statSync(path.join(summary.runDir, 'commitment.secret.json')).mode & 0o077, 0, 'the secret is readable by its owner only');

  const correct = Math.round(summary.metrics.accuracy * 13);
  const above = await cli(['prove', summary.runDir, '--metric', 'accuracy', '--min', String((correct + 0.5) / 13)]);
  assert.equal(above.code, 2, above.stderr);
  assert.match(above.stderr, /^model-lab: the claim is false: \d+ of 13 .*\n$/);

  const min = (Math.floor((correct / 13) * 100) / 100).toString();
  const proved = await cli(['prove', summary.runDir, '--metric', 'accuracy', '--min', min, '--json']);
  assert.equal(proved.code, 0, proved.stderr);
  const { proofDir, claim } = JSON.parse(proved.stdout) as { proofDir: string; claim: { min: number; n: number; testSet: { sha256: string } } };
  assert.equal(claim.min, Number(min));
  assert.equal(claim.testSet.sha256, commitment.testSet.sha256);
  assert.deepEqual(JSON.parse(readFileSync(path.join(proofDir, 'claim.json'), 'utf8')), claim);
  assert.ok(existsSync(path.join(proofDir, 'proof.json')) && existsSync(path.join(proofDir, 'vk.json')));

  // verify needs the proof folder alone: a copy of its three files, away from the run.
  const shared = mkdtempSync(path.join(tmpdir(), 'ml-proof-shared-'));
  for (const f of ['claim.json', 'proof.json', 'vk.json']) copyFileSync(path.join(proofDir, f), path.join(shared, f));
  const verified = await cli(['verify', shared]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /^valid: /);

  const text = readFileSync(path.join(proofDir, 'claim.json'), 'utf8');
  writeFileSync(path.join(proofDir, 'claim.json'), text.replace(/"min": [\d.]+/, '"min": 1').replace(/"minCorrect": \d+/, '"minCorrect": 13'));
  const forged = await cli(['verify', proofDir, '--json']);
  assert.equal(forged.code, 1);
  assert.equal(JSON.parse(forged.stdout).valid, false);

  const missing = await cli(['verify', path.join(dir, 'nowhere')]);
  assert.equal(missing.code, 2);
});
