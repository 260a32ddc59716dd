import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile } from '../../src/core/experiment/load';
import { readRunConfig } from '../../src/runner/runConfig';
import { startDetachedRun } from '../../src/runner/detachedRun';
import { RunFollower } from '../../src/runner/runFollower';
import type { StartRunOptions } from '../../src/runner/runSource';
import * as store from '../../src/runner/runStore';
import { isTrainSummary, type TrainSummary } from '../../src/runner/summary';
import type { RunEvent } from '../../src/core/train/events';
import { waitFor } from './helpers/processes';

// The real worker bundle, as the extension runs it (`npm test` builds it first).
const root = path.resolve(__dirname, '../..');
const workerScript = path.join(root, 'dist', 'runWorker.js');
const fixtures = path.join(root, 'test', 'fixtures', 'runner');

/**
 * Starts a run as the extension does (a detached process) and follows it through the run
 * store, polling often so that a test's reaction to an event comes soon after it.
 */
function follow(opts: StartRunOptions) {
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  const started = startDetachedRun({ ...opts, workerScript });
  const follower = new RunFollower(started.runDir, { child: started.child, pollMs: 10 });
  return Object.assign(follower, { pid: started.child.pid });
}

/** Loads a fixture (read and validated once, as the extension does) and runs it. */
async function start(file: string) {
  const outRoot = mkdtempSync(path.join(tmpdir(), 'ml-runs-'));
  return follow({ experiment: await loadExperimentFile(path.join(fixtures, file)), outRoot });
}

test('a run in its own process streams events through the run store and leaves it complete', async () => {
  const run = await start('tiny.experiment.json');
  const events: RunEvent[] = [];
  const logs: string[] = [];
  run.onEvent((e) => events.push(e));
  run.onLog((_level, line) => logs.push(line));
  const outcome = await run.done;
  assert.equal(outcome.status, 'completed', outcome.error?.message);
  assert.notEqual(run.pid, process.pid);
  // The worker computes with the SIMD kernels' fused multiply-add build (relaxed SIMD: on by
  // default in newer runtimes, turned on by the loader under Node 20).
  assert.ok(logs.some((l) => /backend: wasm \(simd true, fma true/.test(l)), logs.join('\n'));
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'start');
  assert.equal(types.filter((t) => t === 'epoch').length, 4);
  const freeze = events.find((e) => e.type === 'freeze');
  assert.ok(freeze && freeze.type === 'freeze' && freeze.layer === 'fc1');
  const summary = outcome.summary as TrainSummary;
  assert.ok(isTrainSummary(summary));
  assert.equal(summary.freezeEvents[0]?.layer, 'fc1');
  assert.ok(summary.metrics.accuracy > 0.5, `accuracy ${summary.metrics.accuracy}`);
  assert.ok(existsSync(path.join(run.runDir, 'model', 'model.json')));
  assert.deepEqual(await store.readSummary(run.runDir), outcome.summary);
  assert.equal((await store.readRunRecord(run.runDir))?.status, 'completed');
  // The events on disk are the ones that were streamed.
  assert.deepEqual((await store.readEvents(run.runDir)).map((e) => e.type), types);
});

test('a cancelled run stops at a step boundary and resumes to completion', async () => {
  const run = await start('long.experiment.json');
  run.onEvent((e) => {
    if (e.type === 'epoch' && e.epoch >= 1) run.cancel();
  });
  const outcome = await run.done;
  assert.equal(outcome.status, 'cancelled', outcome.error?.message);
  const record = await store.readRunRecord(run.runDir);
  assert.equal(record?.status, 'cancelled');
  assert.ok(record!.epochsDone >= 2 && record!.epochsDone < 60);
  assert.ok(store.hasCheckpoint(run.runDir));

  const resumed = follow({ resumeDir: run.runDir, experimentFile: path.join(fixtures, 'long.experiment.json') });
  let resumedFrom: number | undefined;
  resumed.onEvent((e) => {
    if (e.type === 'start') resumedFrom = e.resumedFrom?.epoch;
  });
  const done = await resumed.done;
  assert.equal(done.status, 'completed', done.error?.message);
  assert.equal(resumedFrom, record!.epochsDone);
  assert.equal((done.summary as TrainSummary | undefined)?.epochsDone, 60);
});

test('a killed run process leaves a readable, resumable store and the host unharmed', async () => {
  const run = await start('long.experiment.json');
  run.onEvent((e) => {
    if (e.type === 'checkpoint') process.kill(run.pid!, 'SIGKILL');
  });
  const outcome = await run.done;
  assert.equal(outcome.status, 'crashed');
  assert.equal(outcome.signal, 'SIGKILL');
  const record = await store.readRunRecord(run.runDir);
  assert.equal(record?.status, 'interrupted');
  assert.ok((await store.readEvents(run.runDir)).some((e) => e.type === 'epoch'));
  assert.ok(store.hasCheckpoint(run.runDir));
});

test('a problem only the run finds (a short data row) fails with a user error that names the file and line', async () => {
  const run = await start('short-row.experiment.json');
  const outcome = await run.done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.error?.user, true);
  assert.equal(outcome.error?.file, path.join(fixtures, 'short-row.csv'));
  assert.equal(outcome.error?.line, 25);
  assert.match(outcome.error!.message, /row has 2 columns, expected 3/);
});

test('the run process runs the experiment it was given and does not read the file again', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ml-read-once-'));
  const file = path.join(dir, 'short-row.experiment.json');
  copyFileSync(path.join(fixtures, 'short-row.experiment.json'), file);
  writeFileSync(path.join(dir, 'short-row.csv'), '0.1,0.2,0\n0.3,0.4,1\n0.5,0.6,0\n0.7,0.8,1\n');
  const loaded = await loadExperimentFile(file);
  // The file changes after it was read: the run must not see the change.
  writeFileSync(file, '{ this is not an experiment');
  const run = follow({ experiment: loaded, outRoot: path.join(dir, 'runs') });
  const outcome = await run.done;
  assert.equal(outcome.status, 'completed', outcome.error?.message);
  assert.match(run.runId, /-short-row-none-[0-9a-f]{4}$/);
  assert.deepEqual((await readRunConfig(run.runDir))?.experiment, loaded.experiment);
});

test('the worker runs other kinds too: an extract-eval run reports progress and its scores', async () => {
  const run = await start('extract-eval.experiment.json');
  const events: RunEvent[] = [];
  run.onEvent((e) => events.push(e));
  const outcome = await run.done;
  assert.equal(outcome.status, 'completed', outcome.error?.message);
  assert.equal(outcome.summary?.kind, 'extract-eval');
  assert.match(run.runId, /-sample-eval-extract-eval-[0-9a-f]{4}$/);
  const progress = events.filter((e) => e.type === 'progress');
  assert.ok(progress.length >= 2 && progress.every((e) => e.type === 'progress' && e.kind === 'extract-eval'));
  assert.deepEqual(await store.readSummary(run.runDir), outcome.summary);
});

test('Cancel stops the worker at the current step, inside an epoch, with a checkpoint there to resume from', async () => {
  // Epochs of 900 one-example steps: cancelled at the first progress report of the first epoch.
  const run = await start('long-epoch.experiment.json');
  let cancelledAt: number | undefined;
  run.onEvent((e) => {
    if (e.type === 'step' && cancelledAt === undefined) {
      cancelledAt = e.step;
      run.cancel();
    }
  });
  const outcome = await run.done;
  assert.equal(outcome.status, 'cancelled', outcome.error?.message);
  assert.ok(!outcome.signal, 'it stopped by itself at the step: not killed (Cancel is a SIGTERM the run handles)');
  const checkpoint = (await store.readEvents(run.runDir)).filter((e) => e.type === 'checkpoint').pop();
  assert.ok(checkpoint?.type === 'checkpoint' && checkpoint.epoch === 0, 'checkpointed inside the first epoch');
  assert.ok(checkpoint.step >= cancelledAt! && checkpoint.step < 900, `cancelled at step ${cancelledAt}, stopped at ${checkpoint.step}`);
  assert.equal((await store.readRunRecord(run.runDir))?.status, 'cancelled');

  const resumed = follow({ experimentFile: path.join(fixtures, 'long-epoch.experiment.json'), resumeDir: run.runDir });
  let resumedFrom: number | undefined;
  resumed.onEvent((e) => {
    if (e.type === 'start') resumedFrom = e.resumedFrom?.step;
  });
  const done = await resumed.done;
  assert.equal(done.status, 'completed', done.error?.message);
  assert.equal(resumedFrom, checkpoint.step);
  assert.equal((done.summary as TrainSummary | undefined)?.epochsDone, 2);
});

test('a run this process started ends when its process exits: the lines it logs after its final status are read', async () => {
  const runDir = mkdtempSync(path.join(tmpdir(), 'ml-end-then-log-'));
  await store.createRun(runDir, {
    runId: path.basename(runDir), runDir, experimentFile: 'x.experiment.json', experiment: 'x', policy: 'none',
    status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: 1,
  }, {});
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'endThenLog.ts'), runDir], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const follower = new RunFollower(runDir, { child, pollMs: 10 });
  const logs: string[] = [];
  follower.onLog((level, line) => logs.push(`${level} ${line}`));
  let settled = false;
  void follower.done.then(() => (settled = true));

  try {
    child.stdin!.write('end\n');
    await waitFor(() => out.includes('ended'), 'the process to write its final status');
    // Two lines logged after the status, each read by a later poll: the follower still follows.
    for (const probe of ['first', 'second']) {
      appendFileSync(path.join(runDir, store.LOG_FILE), `[info] ${probe} line after the status\n`);
      await waitFor(() => settled || logs.includes(`info ${probe} line after the status`), `a poll to read the ${probe} line`);
      assert.equal(settled, false, 'the run ended before its process exited');
    }
    child.stdin!.write('log\n');
  } catch (e) {
    child.kill();
    throw e;
  }
  const outcome = await follower.done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.exitCode, 1);
  assert.ok(logs.includes('error the data has 10 classes'), logs.join('\n'));
});
