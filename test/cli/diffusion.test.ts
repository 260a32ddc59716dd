import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as store from '../../src/runner/runStore';

// The real `model-lab` program on the diffusion lab's kinds (`npm test` builds it first).
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'model-lab.js');

interface Result { code: number | null; stdout: string; stderr: string }

function cli(args: string[], onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void): Promise<Result> {
  assert.ok(existsSync(path.join(root, 'dist', 'cli.js')), 'build first (npm run build)');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d), child);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function experiment(dir: string, steps: number): string {
  const file = path.join(dir, 'toy.experiment.json');
  writeFileSync(file, JSON.stringify({
    kind: 'diffusion-policy', name: 'toy', dataset: { toy: 'four-corners', size: 400 }, policy: 'diffusion', objective: 'bc',
    diffusion: { steps: 8 }, training: { steps, batchSize: 32, hidden: 32, checkpointEvery: 20 }, evaluation: { samples: 200, every: 20, chainSamples: 8 },
  }));
  return file;
}

test('run prints the mode table of a diffusion-policy run; --json is exactly the summary', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-cli-diffusion-'));
  const file = experiment(dir, 40);
  const human = await cli(['run', file, '--out', dir]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^completed toy \(diffusion-policy\): [\d.]+% of samples on a data mode, [\d.]+% on the best-reward mode$/m);
  assert.match(human.stdout, /^ {2}mode shares [\d.]+% \/ [\d.]+% \/ [\d.]+% \/ [\d.]+%, expected reward -?[\d.]+$/m);
  const r = await cli(['run', file, '--json', '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(doc).sort(), ['bestModeShare', 'experiment', 'experimentFile', 'expectedReward', 'kind', 'modeShares', 'onMode', 'runDir', 'runId', 'status'].sort());
  assert.equal(doc.kind, 'diffusion-policy');
  assert.deepEqual(await store.readSummary(doc.runDir), doc);
  assert.match(r.stderr, /^100% done$/m);
});

test('SIGTERM stops a diffusion-policy run within a step, checkpointed where it stopped and resumable', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-cli-diffusion-'));
  // Long by construction: the signal comes at step 30 of 100,000.
  const file = experiment(dir, 100000);
  let sent = false;
  const r = await cli(['run', file, '--json', '--out', dir], (chunk, child) => {
    if (!sent && /step (3\d|[4-9]\d|\d{3,})\//.test(chunk)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  assert.equal(r.code, 130, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.status, 'cancelled');
  assert.match(r.stderr, /resume with: model-lab run --resume /);
  const record = await store.readRunRecord(doc.runDir);
  assert.equal(record?.status, 'cancelled');
  const stoppedAt = (await store.readEvents(doc.runDir)).filter((e) => e.type === 'checkpoint').at(-1);
  assert.ok(stoppedAt && stoppedAt.type === 'checkpoint' && stoppedAt.step >= 30 && stoppedAt.step < 100000);
});
