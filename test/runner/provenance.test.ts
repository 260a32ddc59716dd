import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TrainExperiment } from '../../src/core/experiment/types';
import { gitState, modelLabVersion, PROVENANCE_FILE, readProvenance, recordBackend, recordProvenance } from '../../src/runner/provenance';

const root = path.resolve(__dirname, '../..');

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
}

/** `sha256sum FILE`, independently of the code under test. */
function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
}

function experiment(dir: string): TrainExperiment & { data: { train: string; test: string } } {
  return {
    kind: 'train', name: 'p',
    data: { format: 'csv' as const, train: path.join(dir, 'train.csv'), test: path.join(dir, 'test.csv'), label: 'last' as const },
    model: { inputShape: [2], layers: [{ type: 'dense', units: 2 }] },
    training: { epochs: 1, batchSize: 2, seed: 7 },
  };
}

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-provenance-'));
  writeFileSync(path.join(dir, 'train.csv'), '1,2,0\n3,4,1\n');
  writeFileSync(path.join(dir, 'test.csv'), '5,6,1\n');
  writeFileSync(path.join(dir, 'p.experiment.json'), '{}\n');
  mkdirSync(path.join(dir, 'run'));
  return dir;
}

test('a run in a git workspace records the commit, a clean tree, versions, the seed, the resolved experiment and each input file\'s SHA-256', async () => {
  const dir = workspace();
  try {
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'data');
    const exp = experiment(dir);
    const warnings: string[] = [];
    const runDir = path.join(dir, 'run');
    await recordProvenance(runDir, { experimentFile: path.join(dir, 'p.experiment.json'), experiment: exp }, { resume: false, warn: (m) => warnings.push(m) });
    await recordBackend(runDir, 'cpu');
    assert.deepEqual(warnings, []);
    const p = JSON.parse(readFileSync(path.join(runDir, PROVENANCE_FILE), 'utf8'));
    assert.equal(p.git.commit, git(dir, 'rev-parse', 'HEAD'));
    assert.equal(p.git.dirty, false, 'the run folder itself (untracked) does not make the tree dirty');
    assert.equal(p.modelLab, JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    assert.equal(p.tfjs, JSON.parse(readFileSync(path.join(root, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version);
    assert.equal(p.node, process.version);
    assert.equal(p.backend, 'cpu');
    assert.equal(p.seed, 7);
    assert.deepEqual(p.experiment, exp);
    assert.deepEqual(p.files, [
      { pointer: '/data/train', path: exp.data.train, sha256: sha256sum(exp.data.train), bytes: 12 },
      { pointer: '/data/test', path: exp.data.test, sha256: sha256sum(exp.data.test), bytes: 6 },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('git state: dirty when a tracked file changed, absent outside a repository or before the first commit', async () => {
  const dir = workspace();
  try {
    assert.equal(await gitState(dir), undefined, 'not a repository');
    git(dir, 'init', '-q');
    assert.equal(await gitState(dir), undefined, 'no commit yet');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'data');
    writeFileSync(path.join(dir, 'untracked.txt'), 'x');
    assert.equal((await gitState(dir))?.dirty, false);
    writeFileSync(path.join(dir, 'train.csv'), '1,2,1\n');
    const state = await gitState(path.join(dir, 'run'));
    assert.equal(state?.dirty, true);
    assert.equal(state?.commit, git(dir, 'rev-parse', 'HEAD'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a resume keeps the start\'s record, adds its own environment and warns about input files that changed meanwhile', async () => {
  const dir = workspace();
  try {
    const exp = experiment(dir);
    const runDir = path.join(dir, 'run');
    const config = { experimentFile: path.join(dir, 'p.experiment.json'), experiment: exp };
    await recordProvenance(runDir, config, { resume: false, warn: () => assert.fail('no warning') });
    const first = await readProvenance(runDir);
    assert.equal(first?.git, undefined, 'outside a repository: no git fields');
    writeFileSync(exp.data.train, '1,2,0\n3,4,0\n');
    const warnings: string[] = [];
    await recordProvenance(runDir, config, { resume: true, warn: (m) => warnings.push(m) });
    await recordBackend(runDir, 'wasm', 2, 'native: libopenblas.so.0 (Haswell)', 'native');
    const after = await readProvenance(runDir);
    assert.deepEqual(after?.files, first?.files, 'the start\'s fingerprints stay');
    assert.equal(after?.resumes?.length, 1);
    assert.deepEqual(after?.resumes?.[0].changedFiles, [exp.data.train]);
    assert.equal(after?.resumes?.[0].backend, 'wasm');
    assert.equal(after?.resumes?.[0].denseProducts, 'native: libopenblas.so.0 (Haswell)', 'what the dense layers multiplied with');
    assert.equal(after?.resumes?.[0].convProducts, 'native', 'what the Winograd conv layers multiplied with');
    assert.equal(after?.backend, undefined);
    assert.match(warnings.join('\n'), /input files changed since the run started: .*train\.csv/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing input file is recorded with its error, not a crash', async () => {
  const dir = workspace();
  try {
    const exp = experiment(dir);
    rmSync(exp.data.test);
    await recordProvenance(path.join(dir, 'run'), { experimentFile: path.join(dir, 'p.experiment.json'), experiment: exp }, { resume: false, warn: () => undefined });
    const p = await readProvenance(path.join(dir, 'run'));
    assert.deepEqual(p?.files[1], { pointer: '/data/test', path: exp.data.test, error: 'ENOENT' });
    assert.match(modelLabVersion(), /^\d+\.\d+\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
