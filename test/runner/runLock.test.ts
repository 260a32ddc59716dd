import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/train/events';
import { runJob } from '../../src/runner/runJob';
import { acquireRunLock, endedSlurmHolder, LOCK_FILE, processStartTime, RunLockedError, runLiveness, signalRunHolder } from '../../src/runner/runLock';
import * as store from '../../src/runner/runStore';
import { isAlive, modelLab, node, waitFor } from './helpers/processes';

const fixtures = path.join(__dirname, '..', 'fixtures', 'runner');
const holdLock = path.join(__dirname, 'helpers', 'holdLock.ts');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ml-lock-'));

function writeLock(dir: string, holder: { pid: number; startTime?: string }): void {
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...holder, hostname: os.hostname(), createdAt: new Date().toISOString(), command: 'model-lab run' }));
}

/** A cancelled run with a checkpoint (cancelled once its first checkpoint is written). */
async function cancelledRun(): Promise<string> {
  const events: RunEvent[] = [];
  const summary = await runJob(
    { experimentFile: path.join(fixtures, 'long.experiment.json'), outRoot: tmp() },
    { event: (e) => events.push(e), log: () => undefined },
    () => events.some((e) => e.type === 'checkpoint'),
  );
  assert.equal(summary.status, 'cancelled');
  return summary.runDir;
}

test('the lock is exclusive: a second taker is refused, naming the holder, until it is released', () => {
  const dir = tmp();
  const lock = acquireRunLock(dir);
  assert.equal(runLiveness(dir).alive, true);
  assert.throws(() => acquireRunLock(dir), (e: unknown) => e instanceof RunLockedError && new RegExp(`in use by pid ${process.pid} `).test(e.message) && /--force/.test(e.message));
  lock.release();
  assert.equal(runLiveness(dir).alive, false);
  acquireRunLock(dir).release();
});

test('a lock left by a killed process is stale and is taken over with a warning', async () => {
  const dir = tmp();
  const holder = node([holdLock, dir]);
  await waitFor(() => holder.stdout().includes('locked'), 'the child to take the lock');
  assert.equal(runLiveness(dir).alive, true);
  assert.throws(() => acquireRunLock(dir), RunLockedError);
  holder.child.kill('SIGKILL');
  await holder.exited;
  assert.equal(runLiveness(dir).alive, false, 'its process is gone');
  const warnings: string[] = [];
  const lock = acquireRunLock(dir, { warn: (m) => warnings.push(m) });
  assert.match(warnings.join('\n'), new RegExp(`stale lock .*pid ${holder.child.pid} .*no longer runs`));
  assert.equal(runLiveness(dir).holder?.pid, process.pid);
  lock.release();
});

test('a reused pid does not hold a lock: the process start time tells the processes apart, and it is never signalled', async (t) => {
  if (processStartTime(process.pid) === undefined) return t.skip('no process start times on this platform');
  const dir = tmp();
  // A live process that has the lock's pid but started at another time than the lock's holder.
  const other = node(['-e', 'setInterval(() => {}, 1 << 30)'], { tsx: false });
  await waitFor(() => other.child.pid !== undefined && processStartTime(other.child.pid), 'the other process to start');
  const pid = other.child.pid!;
  try {
    writeLock(dir, { pid, startTime: 'an-earlier-boot:12345' });
    assert.deepEqual([runLiveness(dir).alive, runLiveness(dir).state], [false, 'gone']);
    assert.equal(signalRunHolder(dir, 'SIGTERM').ok, false);
    assert.ok(isAlive(pid), 'the unrelated process was not signalled');
    const warnings: string[] = [];
    acquireRunLock(dir, { warn: (m) => warnings.push(m) }).release();
    assert.match(warnings.join('\n'), /stale lock/);
    // The same pid with its true start time is its holder: alive, and locked.
    writeLock(dir, { pid, startTime: processStartTime(pid) });
    assert.equal(runLiveness(dir).alive, true);
    assert.throws(() => acquireRunLock(dir), RunLockedError);
  } finally {
    other.child.kill('SIGKILL');
  }
});

test('two resumes of one run started together: exactly one proceeds (real CLI processes)', async () => {
  const runDir = await cancelledRun();
  // Paused at its first epoch boundary, the winner holds the run for as long as the test needs.
  writeFileSync(path.join(runDir, store.PAUSE_FILE), '');
  const a = modelLab(['run', '--resume', runDir, '--json']);
  const b = modelLab(['run', '--resume', runDir, '--json']);
  const loser = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
  const winner = loser === a ? b : a;
  assert.equal((await loser.exited).code, 2, loser.stderr());
  assert.match(loser.stderr(), new RegExp(`run ${path.basename(runDir)} is in use by pid ${winner.child.pid} \\(model-lab\\.js run --resume`));
  assert.equal(loser.stdout(), '');
  await waitFor(async () => (await store.readRunRecord(runDir))?.paused, 'the winner to pause at an epoch boundary');
  winner.child.kill('SIGTERM');
  assert.equal((await winner.exited).code, 130, winner.stderr());
  // One resume wrote the run: one more `start` event, and the lock is released.
  const starts = (await store.readEvents(runDir)).filter((e) => e.type === 'start');
  assert.equal(starts.length, 2);
  assert.equal(runLiveness(runDir).alive, false);
  assert.equal((await store.readRunRecord(runDir))?.status, 'cancelled');
});

test('--force overrides a live lock with a clear warning', async () => {
  const runDir = await cancelledRun();
  const holder = node([holdLock, runDir]);
  await waitFor(() => holder.stdout().includes('locked'), 'the child to take the lock');
  try {
    const refused = modelLab(['run', '--resume', runDir]);
    assert.equal((await refused.exited).code, 2);
    assert.match(refused.stderr(), new RegExp(`in use by pid ${holder.child.pid} \\(holdLock test process\\)`));
    const forced = modelLab(['run', '--resume', runDir, '--force', '--json']);
    assert.equal((await forced.exited).code, 0, forced.stderr());
    assert.match(forced.stderr(), new RegExp(`--force: overriding the lock of run ${path.basename(runDir)} held by pid ${holder.child.pid} .*both processes now write`));
    assert.equal(JSON.parse(forced.stdout()).status, 'completed');
    assert.ok(!readFileSync(path.join(runDir, 'run.json'), 'utf8').includes('"paused"'));
  } finally {
    holder.child.kill('SIGKILL');
  }
});

test('Slurm: a lock left on another node by an earlier run of the same job (requeued) or by an ended job is stale; a running job\'s is not', () => {
  const holder = { pid: 4242, hostname: 'node-7', createdAt: new Date().toISOString(), command: 'model-lab run --sweep', slurmJobId: '81' };
  const env = { SLURM_JOB_ID: '81' };
  const never = () => assert.fail('no squeue for the same job');
  assert.match(endedSlurmHolder(holder, env, never) ?? '', /earlier run of this Slurm job, 81: it was requeued/);
  // Another job: squeue decides.
  assert.match(endedSlurmHolder(holder, { SLURM_JOB_ID: '90' }, () => '') ?? '', /job 81 is no longer queued/);
  assert.match(endedSlurmHolder(holder, { SLURM_JOB_ID: '90' }, () => 'CANCELLED\n') ?? '', /job 81 is cancelled/);
  assert.equal(endedSlurmHolder(holder, { SLURM_JOB_ID: '90' }, () => 'RUNNING\n'), undefined);
  assert.match(endedSlurmHolder(holder, { SLURM_JOB_ID: '90' }, () => { throw Object.assign(new Error('exit 1'), { stderr: 'slurm_load_jobs error: Invalid job id specified' }); }) ?? '', /has ended/);
  assert.equal(endedSlurmHolder(holder, { SLURM_JOB_ID: '90' }, () => { throw new Error('squeue: not found'); }), undefined, 'unknown: counts as alive');
  // Outside Slurm, or a holder that was not a Slurm task: nothing is known.
  assert.equal(endedSlurmHolder(holder, {}, never), undefined);
  assert.equal(endedSlurmHolder({ ...holder, slurmJobId: undefined }, env, never), undefined);

  // The takeover itself: a requeued task finds its own job's lock from another node and takes it, with a warning.
  const dir = tmp();
  writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder));
  assert.throws(() => acquireRunLock(dir), RunLockedError, 'outside that job, a lock from another machine counts as alive');
  const before = process.env.SLURM_JOB_ID;
  process.env.SLURM_JOB_ID = '81';
  try {
    const warnings: string[] = [];
    const lock = acquireRunLock(dir, { warn: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /taking over the stale lock .* on node-7 .*requeued/);
    assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).slurmJobId, '81', 'the new holder names its job too');
    lock.release();
  } finally {
    if (before === undefined) delete process.env.SLURM_JOB_ID;
    else process.env.SLURM_JOB_ID = before;
  }
});
