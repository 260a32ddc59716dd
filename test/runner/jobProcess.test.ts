import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONLL04_SCHEMA } from '../../src/core/extract/schema';
import { isUserError } from '../../src/core/errors';
import { JobCancelledError, JobFailedError, JobProcess, type JobProcessOptions } from '../../src/runner/jobProcess';
import type { MatrixResult, RewardsMatrixJobRequest } from '../../src/runner/jobProtocol';

/**
 * Interactive jobs in a real runner process (the bundle the extension ships, `npm test` builds
 * it first): results, progress, cancel (cooperative, and by killing a process that does not
 * stop within the grace period), and crashes that fail one job with a clear error while the
 * caller (the extension host in VS Code) carries on.
 */
const REPO = path.resolve(__dirname, '../..');
const workerScript = path.join(REPO, 'dist', 'runWorker.js');
const GRIDWORLD = path.join(REPO, 'examples/rewards/gridworld.rewards.json');
const SAMPLE = readFileSync(path.join(REPO, 'examples/extraction/sample.txt'), 'utf8');

function jobProcess(opts: Partial<JobProcessOptions> = {}): { jobs: JobProcess; logs: string[] } {
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  const logs: string[] = [];
  const jobs = new JobProcess({ label: 'test', workerScript, onLog: (_level, line) => logs.push(line), ...opts });
  return { jobs, logs };
}

function matrixJob(text: string, patch: Partial<RewardsMatrixJobRequest> = {}): RewardsMatrixJobRequest {
  return { kind: 'rewards-matrix', file: GRIDWORLD, text, settings: { canon: 'val', norm: '2', metric: '2' }, ...patch };
}

/** 2,000 rewards on a 6 x 6 gridworld: 10^10 terms in the pairwise stage, long on any machine. */
function longComparison(): string {
  const rewards = Object.fromEntries(Array.from({ length: 1999 }, (_, i) => [`r${i}`, { of: 'task', scale: 1 + i, shift: i % 7 }]));
  return JSON.stringify({ discount: 0.9, gridworld: { width: 6, height: 6, slip: 0.2, goal: [[5, 0, 1]] }, rewards });
}

test('jobs of different kinds run one after another in one warm process', async () => {
  const { jobs } = jobProcess();
  try {
    const text = SAMPLE.split('\n')[1];
    const extracted = await jobs.run({ kind: 'extract', text, schema: CONLL04_SCHEMA, provider: { kind: 'builtin' } });
    assert.equal(extracted.provider, 'builtin');
    for (const e of extracted.entities) assert.equal(text.slice(e.start, e.end), e.text);
    assert.ok(extracted.entities.some((e) => e.type === 'Peop' && e.text.includes('Oswald')), JSON.stringify(extracted.entities));
    const pid = jobs.pid;
    const m = (await jobs.run(matrixJob(readFileSync(GRIDWORLD, 'utf8')))) as MatrixResult;
    assert.deepEqual(m.names, ['task', 'shaped', 'negated', 'corner']);
    const d = await jobs.run({ ...matrixJob(readFileSync(GRIDWORLD, 'utf8')), kind: 'rewards-difference', row: 0, col: 2 });
    assert.ok(d.values instanceof Float64Array, 'typed arrays cross the process boundary as they are');
    assert.equal(d.values.length, 11 * 4);
    assert.equal(jobs.pid, pid, 'the same process served all three');
  } finally {
    jobs.dispose();
  }
});

test('a user error comes back as a UserError with its pointer and line', async () => {
  const { jobs } = jobProcess();
  try {
    const bad = readFileSync(GRIDWORLD, 'utf8').replace('"slip": 0.2', '"slip": 2');
    await assert.rejects(jobs.run(matrixJob(bad)), (e: unknown) => {
      assert.ok(isUserError(e), String(e));
      assert.equal(e.pointer, '/gridworld/slip');
      assert.equal(e.line, bad.split('\n').findIndex((l) => l.includes('"slip": 2')) + 1);
      return true;
    });
  } finally {
    jobs.dispose();
  }
});

test('a cancelled computation stops at its next block; the process stays warm for the next job', async () => {
  // A grace period no busy machine can exceed: the stop must be the computation's own.
  const { jobs } = jobProcess({ graceMs: 120_000 });
  try {
    const abort = new AbortController();
    const fractions: number[] = [];
    const long = jobs.run(matrixJob(longComparison(), { settings: { canon: 'none', norm: '2', metric: '2' }, confirmed: true }), {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.fraction !== undefined) fractions.push(p.fraction);
        // Cancel once the pairwise stage is under way.
        if (/pairwise/.test(p.message)) abort.abort();
      },
    });
    const pid = jobs.pid;
    await assert.rejects(long, JobCancelledError);
    assert.ok(fractions.length > 0 && fractions[fractions.length - 1] < 1, `stopped part-way: ${fractions.slice(-3).join(', ')}`);
    const m = (await jobs.run(matrixJob(readFileSync(GRIDWORLD, 'utf8')))) as MatrixResult;
    assert.equal(m.names.length, 4);
    assert.equal(jobs.pid, pid, 'stopped cooperatively: no process was killed');
  } finally {
    jobs.dispose();
  }
});

test('a job that does not stop within the grace period is killed; the next job gets a fresh process', async () => {
  const { jobs, logs } = jobProcess({ graceMs: 100 });
  try {
    // Warm: the built-in model is loaded, so the next extraction goes straight into its prediction
    // (synchronous TensorFlow.js work that cannot see the cancel until it is done: seconds for 200,000 characters).
    await jobs.run({ kind: 'extract', text: 'Oswald shot Kennedy.', schema: CONLL04_SCHEMA, provider: { kind: 'builtin' } });
    const pid = jobs.pid;
    let text = '';
    while (text.length < 200_000) text += SAMPLE;
    const abort = new AbortController();
    // Cancelled once the worker says the prediction starts (it cannot read the cancel before it ends).
    const long = jobs.run({ kind: 'extract', text, schema: CONLL04_SCHEMA, provider: { kind: 'builtin' } }, {
      signal: abort.signal,
      onProgress: (p) => {
        if (/^reading 200,\d{3} characters$/.test(p.message)) abort.abort();
      },
    });
    await assert.rejects(long, JobCancelledError);
    assert.ok(logs.some((l) => /did not stop within 100 ms of the cancel; killing its process/.test(l)), logs.join('\n'));
    const again = await jobs.run({ kind: 'extract', text: 'Oswald shot Kennedy.', schema: CONLL04_SCHEMA, provider: { kind: 'builtin' } });
    assert.ok(again.entities.length > 0);
    assert.notEqual(jobs.pid, pid);
  } finally {
    jobs.dispose();
  }
});

test('a job process that runs out of memory fails that job with a clear error; the next job runs', async () => {
  // The heap capped at 96 MB: a small comparison fits, parsing a 5 MB transitions array does not.
  const { jobs } = jobProcess({ execArgv: ['--max-old-space-size=96'] });
  try {
    assert.equal(((await jobs.run(matrixJob(readFileSync(GRIDWORLD, 'utf8')))) as MatrixResult).names.length, 4);
    const S = 800;
    const transitions = Array.from({ length: S }, (_, s) => Array.from({ length: 4 }, () => Array.from({ length: S }, (_, n) => (n === s ? 1 : 0))));
    const huge = JSON.stringify({ discount: 0.9, transitions, rewards: { a: { state: new Array(S).fill(1) } } });
    await assert.rejects(jobs.run(matrixJob(huge, { file: '/tmp/huge.rewards.json' })), (e: unknown) => {
      assert.ok(e instanceof JobFailedError, String(e));
      assert.match(e.message, /^the test process ran out of memory \(killed by SIGABRT\); the editor is unaffected$/);
      return true;
    });
    assert.equal(((await jobs.run(matrixJob(readFileSync(GRIDWORLD, 'utf8')))) as MatrixResult).names.length, 4);
  } finally {
    jobs.dispose();
  }
});

test('a job process killed from outside (as by the system) fails its job with a clear error', async () => {
  const { jobs } = jobProcess();
  try {
    let killed = false;
    const long = jobs.run(matrixJob(longComparison(), { settings: { canon: 'none', norm: '2', metric: '2' }, confirmed: true }), {
      onProgress: () => {
        if (!killed) process.kill(jobs.pid!, 'SIGKILL');
        killed = true;
      },
    });
    await assert.rejects(long, (e: unknown) => e instanceof JobFailedError && /^the test process was killed \(killed by SIGKILL\), perhaps by the system for lack of memory/.test(e.message));
  } finally {
    jobs.dispose();
  }
});

test('above the soft size limit a comparison waits for confirmation; in Restricted Mode it is refused', async () => {
  const { jobs } = jobProcess();
  try {
    // A 50 x 50 gridworld with four rewards: 200 MB per (s, a, s') array, about 2 GB with EPIC.
    const text = JSON.stringify({
      discount: 0.9, gridworld: { width: 50, height: 50, slip: 0.1, goal: [[49, 0, 1]] },
      rewards: { neg: { of: 'task', scale: -1 }, twice: { of: 'task', scale: 2 }, corner: { state: Array.from({ length: 2500 }, (_, s) => (s === 0 ? 1 : 0)) } },
    });
    const outcome = await jobs.run(matrixJob(text, { settings: { canon: 'epic', norm: '2', metric: '2' } }));
    assert.ok('confirm' in outcome, 'nothing computed before the user agrees');
    assert.deepEqual([outcome.confirm.size.states, outcome.confirm.size.actions, outcome.confirm.size.rewards], [2500, 4, 4]);
    assert.ok(outcome.confirm.estimate.bytes > 2 ** 30, `${outcome.confirm.estimate.bytes} bytes`);
    await assert.rejects(jobs.run(matrixJob(text, { settings: { canon: 'epic', norm: '2', metric: '2' }, restricted: true })), (e: unknown) => {
      assert.ok(isUserError(e), String(e));
      assert.match(e.message, /comparing 4 rewards on 2500 states x 4 actions \(epic\) needs about [\d.]+ GB of memory and .*; Restricted Mode runs only comparisons under 1.0 GB and 15 s: trust the workspace to run it/);
      return true;
    });
    // Learned reward models are files named by the workspace: not opened in Restricted Mode.
    const learned = JSON.stringify({ discount: 0.9, transitions: [[[1, 0]], [[0, 1]]], rewards: { m: { model: 'model/model.json' } } });
    await assert.rejects(jobs.run(matrixJob(learned, { restricted: true })), (e: unknown) => isUserError(e) && e.pointer === '/rewards/m/model' && /not loaded in Restricted Mode/.test(e.message));
  } finally {
    jobs.dispose();
  }
});
