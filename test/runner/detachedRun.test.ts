import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/train/events';
import { loadExperimentFile } from '../../src/core/experiment/load';
import { startDetachedRun } from '../../src/runner/detachedRun';
import { readProvenance } from '../../src/runner/provenance';
import { RunFollower } from '../../src/runner/runFollower';
import { acquireRunLock, runLiveness } from '../../src/runner/runLock';
import * as store from '../../src/runner/runStore';
import { isAlive, node, waitFor } from './helpers/processes';

// The real worker bundle, as the extension runs it (`npm test` builds it first).
const root = path.resolve(__dirname, '../..');
const workerScript = path.join(root, 'dist', 'runWorker.js');
const fixtures = path.join(root, 'test', 'fixtures', 'runner');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ml-detached-'));
const epochsIn = (events: RunEvent[]) => events.filter((e) => e.type === 'epoch').length;

test('a run outlives the process that started it: a new follower reattaches, sees it progress, and cancels it', async () => {
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  // A stand-in for the extension host, in its own process group, as VS Code's is.
  const host = node([path.join(__dirname, 'helpers', 'startRun.ts'), path.join(fixtures, 'endless.experiment.json'), tmp(), workerScript], { detached: true });
  const runDir = await waitFor(() => host.stdout().split('\n')[0] || undefined, 'the run folder');
  await waitFor(() => store.hasCheckpoint(runDir), 'the first checkpoint');
  const worker = runLiveness(runDir).holder!;
  assert.notEqual(worker.pid, host.child.pid);
  // The host dies the hard way, with its whole process group (a window reload, a crash, quitting).
  process.kill(-host.child.pid!, 'SIGKILL');
  await host.exited;
  assert.ok(isAlive(worker.pid), 'the run process is still there');

  const follower = new RunFollower(runDir);
  const events: RunEvent[] = [];
  follower.onEvent((e) => events.push(e));
  // The whole history first (the events before the host died), then new epochs as they come.
  await waitFor(() => events.some((e) => e.type === 'checkpoint') && epochsIn(events), 'the history');
  const before = (await store.readEvents(runDir)).filter((e) => e.type === 'epoch').length;
  await waitFor(() => epochsIn(events) > before, 'an epoch trained after the host died');
  assert.deepEqual(events.slice(0, 1).map((e) => e.type), ['start']);
  assert.equal((await store.readRunRecord(runDir))?.status, 'running');

  assert.deepEqual(follower.cancel(), { ok: true });
  const outcome = await follower.done;
  assert.equal(outcome.status, 'cancelled');
  assert.equal(outcome.summary?.status, 'cancelled');
  const record = await store.readRunRecord(runDir);
  assert.equal(record?.status, 'cancelled');
  assert.ok(store.hasCheckpoint(runDir), 'resumable from its checkpoint');
  assert.equal(events.at(-1)?.type, 'end');
  await waitFor(() => !isAlive(worker.pid), 'the run process to exit');
  assert.equal(runLiveness(runDir).alive, false, 'the lock is released');
});

test('the thread count the extension passes (modelLab.threads) reaches the run process and its provenance', async () => {
  const run = startDetachedRun({ experiment: await loadExperimentFile(path.join(fixtures, 'tiny.experiment.json')), outRoot: tmp(), threads: 2, workerScript });
  const outcome = await new RunFollower(run.runDir, { child: run.child }).done;
  assert.equal(outcome.status, 'completed');
  const provenance = await readProvenance(run.runDir);
  assert.equal(provenance?.backend, 'wasm');
  assert.equal(provenance?.threads, 2);
});

test('a paused run holds at its epoch boundary, and Cancel still stops it there', async () => {
  const run = startDetachedRun({ experiment: await loadExperimentFile(path.join(fixtures, 'endless.experiment.json')), outRoot: tmp(), workerScript });
  const follower = new RunFollower(run.runDir, { child: run.child });
  const events: RunEvent[] = [];
  follower.onEvent((e) => events.push(e));
  await waitFor(() => events.some((e) => e.type === 'checkpoint'), 'the first checkpoint');
  writeFileSync(path.join(run.runDir, store.PAUSE_FILE), '');
  const paused = await waitFor(async () => {
    const r = await store.readRunRecord(run.runDir);
    return r?.paused ? r : undefined;
  }, 'the run to pause');
  assert.equal(paused.status, 'running');
  // Cancelled while paused: it stops without training another epoch.
  follower.cancel();
  const outcome = await follower.done;
  assert.equal(outcome.status, 'cancelled');
  const record = await store.readRunRecord(run.runDir);
  assert.equal(record?.epochsDone, paused.epochsDone);
  assert.equal(record?.paused, undefined);
  assert.ok(!existsSync(path.join(run.runDir, store.PAUSE_FILE)), 'a later resume starts unpaused');
});

test('a resume is followed from the moment its process takes the run over, not ended by the previous attempt\'s status', async () => {
  const first = startDetachedRun({ experiment: await loadExperimentFile(path.join(fixtures, 'endless.experiment.json')), outRoot: tmp(), workerScript });
  const follower = new RunFollower(first.runDir, { child: first.child });
  const events: RunEvent[] = [];
  follower.onEvent((e) => events.push(e));
  await waitFor(() => events.some((e) => e.type === 'checkpoint'), 'the first checkpoint');
  follower.cancel();
  assert.equal((await follower.done).status, 'cancelled');
  const stopped = (await store.readRunRecord(first.runDir))!;

  const resumed = startDetachedRun({ experimentFile: '', resumeDir: first.runDir, workerScript });
  const again = new RunFollower(resumed.runDir, { child: resumed.child });
  const seen: RunEvent[] = [];
  again.onEvent((e) => seen.push(e));
  const start = await waitFor(() => seen.find((e) => e.type === 'start' && e.resumedFrom), 'the resumed start event');
  assert.equal(start.type === 'start' && start.resumedFrom?.epoch, stopped.epochsDone);
  await waitFor(() => seen.filter((e) => e.type === 'epoch').length > epochsIn(events), 'an epoch of the resumed run');
  again.cancel();
  const outcome = await again.done;
  assert.equal(outcome.status, 'cancelled');
  assert.ok((await store.readRunRecord(first.runDir))!.epochsDone > stopped.epochsDone);

  // A resume that cannot take the run over (another process holds it) says why.
  const holder = node([path.join(__dirname, 'helpers', 'holdLock.ts'), first.runDir]);
  await waitFor(() => holder.stdout().includes('locked'), 'the other process to take the lock');
  try {
    const refused = startDetachedRun({ experimentFile: '', resumeDir: first.runDir, workerScript });
    const failed = await new RunFollower(refused.runDir, { child: refused.child }).done;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!.message, new RegExp(`is in use by pid ${holder.child.pid}`));
    assert.equal((await store.readRunRecord(first.runDir))?.status, 'cancelled', 'the run is untouched');
  } finally {
    holder.child.kill('SIGKILL');
  }
});

test('a run that fails on its data is a failed run, with the error at the field and line, and an end event', async () => {
  const run = startDetachedRun({ experiment: await loadExperimentFile(path.join(fixtures, 'too-few-outputs.experiment.json')), outRoot: tmp(), workerScript });
  const follower = new RunFollower(run.runDir, { child: run.child });
  const logs: string[] = [];
  follower.onLog((level, line) => logs.push(`${level} ${line}`));
  const outcome = await follower.done;
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.error?.user, true);
  assert.equal(outcome.error?.pointer, '/model/layers/0/units');
  assert.equal(outcome.error?.line, 11);
  assert.match(outcome.error!.message, /the data has 10 classes \(labels 0 to 9\), but the output layer "out" has 5 units/);
  assert.ok(logs.some((l) => /^error .*the data has 10 classes/.test(l)), logs.join('\n'));
  const record = await store.readRunRecord(run.runDir);
  assert.equal(record?.status, 'failed');
  assert.equal(record?.error?.line, 11);
  const end = (await store.readEvents(run.runDir)).at(-1);
  assert.ok(end?.type === 'end' && end.status === 'failed' && /10 classes/.test(end.message ?? ''));
});

test('a run process that dies before its run starts leaves a failed run, not a stray folder', async () => {
  const dir = tmp();
  const broken = path.join(dir, 'broken-worker.js');
  writeFileSync(broken, 'process.stderr.write("cannot start\\n"); process.exit(3);\n');
  const run = startDetachedRun({ experiment: await loadExperimentFile(path.join(fixtures, 'tiny.experiment.json')), outRoot: dir, workerScript: broken });
  const outcome = await new RunFollower(run.runDir, { child: run.child }).done;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.error!.message, /exited before the run started \(exit code 3\); see run\.log/);
  const record = await store.readRunRecord(run.runDir);
  assert.deepEqual([record?.status, record?.experiment, record?.policy], ['failed', 'tiny-digits', 'static']);
  assert.deepEqual((await store.listRuns(dir)).map((r) => r.runId), [run.runId]);
  rmSync(dir, { recursive: true, force: true });
});

test('the follower reads only complete lines, and ends with the run\'s final status', async () => {
  const dir = tmp();
  const runDir = path.join(dir, 'r1');
  await store.createRun(runDir, {
    runId: 'r1', runDir, experimentFile: '/x/a.experiment.json', experiment: 'a', policy: 'none',
    status: 'running', startedAt: new Date().toISOString(), epochsDone: 0, epochs: 1,
  }, {});
  const lock = acquireRunLock(runDir);
  const follower = new RunFollower(runDir, { pollMs: 20 });
  const events: RunEvent[] = [];
  follower.onEvent((e) => events.push(e));
  appendFileSync(path.join(runDir, store.EVENTS_FILE), '{"type":"log","level":"info","message":"ünïcode one"}\n{"type":"log","level":"info","mess');
  await waitFor(() => events.length === 1, 'the complete line');
  appendFileSync(path.join(runDir, store.EVENTS_FILE), 'age":"two"}\n');
  await waitFor(() => events.length === 2, 'the line once complete');
  assert.deepEqual(events.map((e) => e.type === 'log' && e.message), ['ünïcode one', 'two']);
  await store.updateRunRecord(runDir, { status: 'completed' });
  lock.release();
  const outcome = await follower.done;
  assert.equal(outcome.status, 'completed');
});
