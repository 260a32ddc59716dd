import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSweepText } from '../../src/core/experiment/sweepLoad';
import type { RunEvent } from '../../src/core/train/events';
import { isPointWorkerToScheduler, isSchedulerToPointWorker } from '../../src/runner/pointProtocol';
import { PointWorkerPool, WORKERS_LOG } from '../../src/runner/pointWorkerPool';
import { runLiveness } from '../../src/runner/runLock';
import * as store from '../../src/runner/runStore';
import { cancelSweep } from '../../src/runner/sweepCancel';
import { runSweepLocal } from '../../src/runner/sweepLocal';
import { planSweep, pointRunDir, sweepDir, writeSweepPlan, type SweepPlan } from '../../src/runner/sweepPlan';
import { isAlive, waitFor } from './helpers/processes';

// The real worker bundle, as the sweep's scheduler runs it (`npm test` builds it first).
const root = path.resolve(__dirname, '../..');
const workerScript = path.join(root, 'dist', 'runWorker.js');
const fixtures = path.join(root, 'test', 'fixtures', 'sweep');

async function plan(fixture: string): Promise<SweepPlan> {
  const file = path.join(fixtures, fixture);
  const p = planSweep(loadSweepText(readFileSync(file, 'utf8'), file), 'local', mkdtempSync(path.join(os.tmpdir(), 'ml-points-')));
  await writeSweepPlan(p);
  return p;
}

const runDirOf = (p: SweepPlan, index: number) => pointRunDir(p, p.points[index]);
const status = async (p: SweepPlan, index: number) => (await store.readRunRecord(runDirOf(p, index)))?.status;
/** The worker process that ran a point, as its `run.log` says. */
function workerOf(p: SweepPlan, index: number): number {
  const m = /sweep point \d+ in worker process (\d+)/.exec(readFileSync(path.join(runDirOf(p, index), store.LOG_FILE), 'utf8'));
  assert.ok(m, `run.log of point ${index} names its worker`);
  return Number(m[1]);
}
const epochs = async (runDir: string) => (await store.readEvents(runDir)).filter((e: RunEvent) => e.type === 'epoch').length;

test('points run one after another in one worker give exactly what a process per point gives', async () => {
  assert.ok(existsSync(workerScript), `build first: ${workerScript} is missing (npm run build)`);
  const pooled = await plan('policies-sweep.experiment.json');
  const fresh = await plan('policies-sweep.experiment.json');
  // Two workers started before the plan existed (as `model-lab sweep --wait` starts them), told
  // that they fill the cores (V8 then optimises less eagerly: speed only).
  const early = await plan('policies-sweep.experiment.json');
  const earlyLog = path.join(early.root, 'early-workers.log');
  const pool = new PointWorkerPool({ workerScript, logFile: earlyLog, cwd: early.root, fillsCores: true });
  pool.prestart(2);
  await runSweepLocal(pooled, { parallel: 1, workerScript, shouldStop: () => false });
  await runSweepLocal(fresh, { parallel: 1, workerScript, processPerPoint: true, shouldStop: () => false });
  await runSweepLocal(early, { parallel: 2, pool, shouldStop: () => false });
  for (const [i, p] of pooled.points.entries()) {
    const [a, b] = [runDirOf(pooled, p.index), runDirOf(fresh, p.index)];
    const [sa, sb] = [await store.readSummary(a), await store.readSummary(b)];
    assert.equal(sa?.status, 'completed');
    assert.equal(sb?.status, 'completed');
    assert.deepEqual(sa && 'metrics' in sa ? sa.metrics : undefined, sb && 'metrics' in sb ? sb.metrics : undefined, `point ${p.index}: final metrics`);
    // Every step's loss, epoch metric and freeze decision, not just the end.
    const timeless = ({ seconds, elapsedSeconds, samplesPerSecond, evalSeconds, ...rest }: Record<string, unknown>) => rest;
    const trace = async (dir: string) => (await store.readEvents(dir)).filter((e) => e.type === 'step' || e.type === 'epoch' || e.type === 'freeze').map((e) => timeless({ ...e }));
    assert.deepEqual(await trace(a), await trace(b), `point ${p.index}: the training trace`);
    const c = runDirOf(early, i);
    assert.deepEqual(await trace(c), await trace(b), `point ${p.index} in an early worker: the training trace`);
    const sc = await store.readSummary(c);
    assert.deepEqual(sc && 'metrics' in sc ? sc.metrics : undefined, sb && 'metrics' in sb ? sb.metrics : undefined, `point ${p.index} in an early worker: final metrics`);
  }
  // The early workers' log moved into the sweep's folder; both took points, and have exited.
  assert.ok(existsSync(path.join(sweepDir(early), WORKERS_LOG)) && !existsSync(earlyLog));
  const earlyWorkers = new Set(early.points.map((p) => workerOf(early, p.index)));
  assert.equal(earlyWorkers.size, 2);
  assert.ok(![...earlyWorkers].some(isAlive));
  // One process ran all four (SmartFRZ's points free their predictor, so the worker was not retired)...
  assert.equal(new Set(pooled.points.map((p) => workerOf(pooled, p.index))).size, 1);
  assert.match(readFileSync(path.join(runDirOf(pooled, 3), store.LOG_FILE), 'utf8'), /its point 4\)/);
  // ...and it has exited with the sweep; a process per point means four.
  assert.ok(!isAlive(workerOf(pooled, 0)));
  assert.ok(!/in worker process/.test(readFileSync(path.join(runDirOf(fresh, 0), store.LOG_FILE), 'utf8')), 'a process per point: no point worker');
});

test('Cancel of one point stops only that point, resumable; its worker takes the next point; a sweep stop ends the rest', async () => {
  const p = await plan('workers-sweep.experiment.json');
  let stopSweep = false;
  const done = runSweepLocal(p, { parallel: 1, workerScript, shouldStop: () => stopSweep });
  await waitFor(() => store.hasCheckpoint(runDirOf(p, 0)), 'point 0\'s first checkpoint', 120_000);
  const worker = runLiveness(runDirOf(p, 0)).holder!.pid;
  // The per-point Cancel of the CLI and VS Code: a signal to whoever holds the run's lock.
  assert.match((await cancelSweep(p, 0)).join('\n'), /stopping point 0/);
  await waitFor(async () => (await status(p, 0)) === 'cancelled', 'point 0 to stop', 120_000);
  assert.ok(store.hasCheckpoint(runDirOf(p, 0)), 'resumable');
  // The same process goes on with point 1.
  await waitFor(async () => (await status(p, 1)) === 'running' && runLiveness(runDirOf(p, 1)).holder, 'point 1 to run', 120_000);
  assert.equal(runLiveness(runDirOf(p, 1)).holder!.pid, worker);
  assert.ok(isAlive(worker));
  await waitFor(() => store.hasCheckpoint(runDirOf(p, 1)), 'point 1\'s first checkpoint', 120_000);
  stopSweep = true;
  await done;
  assert.equal(await status(p, 1), 'cancelled');
  assert.equal(await status(p, 2), undefined, 'a stopped sweep starts nothing more');
  assert.ok(!isAlive(worker), 'its worker has exited');
});

test('a worker that dies takes only its own point: the other worker goes on, and the next point gets a new worker', async () => {
  const p = await plan('workers-sweep.experiment.json');
  let stopSweep = false;
  const done = runSweepLocal(p, { parallel: 2, workerScript, shouldStop: () => stopSweep });
  await waitFor(() => store.hasCheckpoint(runDirOf(p, 0)) && store.hasCheckpoint(runDirOf(p, 1)), 'both endless points to checkpoint', 120_000);
  const [a, b] = [0, 1].map((i) => runLiveness(runDirOf(p, i)).holder!.pid);
  assert.notEqual(a, b, 'two workers');
  // A crash the process cannot handle (an out-of-memory kill, a fatal error in native code).
  process.kill(a, 'SIGKILL');
  // Point 2 runs in a new worker and completes.
  await waitFor(async () => (await status(p, 2)) === 'completed', 'point 2 to complete', 120_000);
  const c = workerOf(p, 2);
  assert.ok(c !== a && c !== b, 'a new worker for the next point');
  const killed = await store.readRunRecord(runDirOf(p, 0));
  assert.equal(killed?.status, 'interrupted', 'the killed point can be resumed from its checkpoint');
  assert.match(readFileSync(path.join(runDirOf(p, 0), store.LOG_FILE), 'utf8'), new RegExp(`worker process \\(pid ${a}\\) exited while running this point \\(signal SIGKILL\\).*${WORKERS_LOG}`));
  // The other worker's point kept training through all this.
  const before = await epochs(runDirOf(p, 1));
  await waitFor(async () => (await epochs(runDirOf(p, 1))) > before, 'point 1 to train another epoch', 120_000);
  assert.equal(await status(p, 1), 'running');
  stopSweep = true;
  await done;
  assert.equal(await status(p, 1), 'cancelled');
  assert.ok(![a, b, c].some(isAlive), 'every worker has exited');
  assert.ok(existsSync(path.join(sweepDir(p), WORKERS_LOG)));
});

test('the scheduler and its workers accept only messages of the contract', () => {
  const request = { experimentFile: '/x.experiment.json' };
  assert.ok(isSchedulerToPointWorker({ type: 'point', index: 0, runDir: '/r', request }));
  assert.ok(!isSchedulerToPointWorker({ type: 'point', index: 0.5, runDir: '/r', request }));
  assert.ok(!isSchedulerToPointWorker({ type: 'point', index: 0, request }));
  assert.ok(!isSchedulerToPointWorker({ type: 'point', index: 0, runDir: '/r', request: {} }));
  assert.ok(isPointWorkerToScheduler({ type: 'pointEnded', index: 2, retire: false }));
  assert.ok(!isPointWorkerToScheduler({ type: 'pointEnded', index: 2 }));
  assert.ok(!isPointWorkerToScheduler({ type: 'log', message: 'x' }));
});
