import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as store from '../../src/runner/runStore';
import { assertOneLineError, cli, root } from './cliProcess';

const fixtures = path.join(root, 'test', 'fixtures', 'sweep');
const out = () => mkdtempSync(path.join(tmpdir(), 'ml-sweep-'));

interface SweepDoc {
  executor: string;
  jobId?: string;
  sweepDir: string;
  runs: { index: number; runDir: string; params: Record<string, unknown>; status: string; metrics?: { accuracy: number; loss: number } }[];
}

/** Polls `model-lab sweep --status` until `done` holds (a condition, never a fixed wait). */
async function statusUntil(sweepDir: string, done: (doc: SweepDoc) => boolean): Promise<SweepDoc> {
  for (;;) {
    const r = await cli(['sweep', '--status', sweepDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as SweepDoc;
    if (done(doc)) return doc;
    await new Promise((res) => setTimeout(res, 300));
  }
}

/** The background scheduler logs its final report (the sweep's table) as it exits. */
async function schedulerExited(sweepDir: string): Promise<void> {
  const log = path.join(sweepDir, 'scheduler.log');
  while (!(existsSync(log) && /^sweep .*\(local\)/m.test(readFileSync(log, 'utf8')))) await new Promise((res) => setTimeout(res, 200));
}

test('sweep --parallel 2 --wait --json runs every point as a run of its own, with its params in run.json', async () => {
  const runs = out();
  const r = await cli(['sweep', path.join(fixtures, 'tiny-sweep.experiment.json'), '--parallel', '2', '--wait', '--json', '--out', runs]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as SweepDoc;
  // Its workers started before the plan was written: their log ends up in the sweep's folder.
  assert.ok(existsSync(path.join(doc.sweepDir, 'workers.log')));
  assert.deepEqual(readdirSync(runs).filter((f) => f.startsWith('.')), []);
  assert.equal(doc.executor, 'local');
  assert.equal(doc.jobId, undefined);
  assert.deepEqual(doc.runs.map((p) => [p.params['/training/optimizer/learningRate'], p.params['/model/layers/0/units']]), [[0.003, 8], [0.003, 16], [0.01, 8], [0.01, 16]]);
  assert.equal(new Set(doc.runs.map((p) => p.runDir)).size, 4);
  for (const p of doc.runs) {
    assert.equal(p.status, 'completed');
    assert.ok(p.metrics && p.metrics.accuracy > 0 && p.metrics.accuracy <= 1 && Number.isFinite(p.metrics.loss));
    const record = JSON.parse(readFileSync(path.join(p.runDir, store.RUN_FILE), 'utf8')) as store.RunRecord;
    assert.deepEqual(record.sweep, { id: path.basename(doc.sweepDir), index: p.index, count: 4, params: p.params });
    assert.equal(record.status, 'completed');
    // The run trained the point's experiment, not the file's.
    const config = JSON.parse(readFileSync(path.join(p.runDir, store.CONFIG_FILE), 'utf8'));
    assert.equal(config.experiment.training.optimizer.learningRate, p.params['/training/optimizer/learningRate']);
    assert.equal(config.experiment.model.layers[0].units, p.params['/model/layers/0/units']);
    assert.equal(config.experiment.sweep, undefined);
  }
  // Never more than 2 at once: the starts and ends interleave.
  let running = 0;
  let most = 0;
  for (const line of r.stderr.split('\n')) {
    if (/^point \d+ started/.test(line)) most = Math.max(most, ++running);
    if (/^point \d+ ended/.test(line)) running--;
  }
  assert.equal(most, 2, r.stderr);
});

test('a local sweep runs its points in --parallel point workers; --process-per-point gives each point a process of its own', async () => {
  const pids = async (extra: string[]) => {
    const r = await cli(['sweep', path.join(fixtures, 'tiny-sweep.experiment.json'), '--parallel', '2', ...extra, '--wait', '--json', '--out', out()]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as SweepDoc;
    assert.ok(doc.runs.every((p) => p.status === 'completed'), r.stdout);
    return doc.runs.map((p) => /sweep point \d+ in worker process (\d+)/.exec(readFileSync(path.join(p.runDir, store.LOG_FILE), 'utf8'))?.[1]);
  };
  const pooled = await pids([]);
  assert.ok(pooled.every(Boolean) && new Set(pooled).size === 2, `four points in two workers: ${pooled.join(', ')}`);
  assert.deepEqual(await pids(['--process-per-point']), [undefined, undefined, undefined, undefined]);
});

test('sweep without --wait returns at once; a background scheduler runs the points; --cancel stops them resumable and --resume continues', async () => {
  const started = await cli(['sweep', path.join(fixtures, 'endless-sweep.experiment.json'), '--parallel', '1', '--json', '--out', out()]);
  assert.equal(started.code, 0, started.stderr);
  const first = JSON.parse(started.stdout) as SweepDoc;
  assert.equal(first.runs.length, 2);
  assert.ok(first.runs.every((p) => p.status === 'queued' || p.status === 'running'), started.stdout);
  // Point 0 runs and checkpoints; point 1 waits for its slot (--parallel 1).
  const running = await statusUntil(first.sweepDir, (d) => d.runs[0].status === 'running' && store.hasCheckpoint(d.runs[0].runDir));
  assert.equal(running.runs[1].status, 'queued');
  const cancelled = await cli(['sweep', '--cancel', first.sweepDir]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  const stopped = await statusUntil(first.sweepDir, (d) => d.runs[0].status === 'cancelled');
  const epochs = JSON.parse(readFileSync(path.join(stopped.runs[0].runDir, store.RUN_FILE), 'utf8')).epochsDone as number;
  assert.ok(epochs >= 1);
  // A cancelled sweep starts nothing more: its scheduler has exited with point 1 never begun.
  await schedulerExited(first.sweepDir);
  // Its point that never began is cancelled too (not queued forever), and says how to go on.
  const after = (await statusUntil(first.sweepDir, () => true)).runs[1] as SweepDoc['runs'][number] & { message?: string };
  assert.equal(after.status, 'cancelled');
  assert.match(after.message ?? '', /cancelled before this point started; resume the sweep/);
  assert.ok(!existsSync(path.join(after.runDir, store.RUN_FILE)), 'and it has no run folder');
  const resumed = await cli(['sweep', '--resume', first.sweepDir, '--parallel', '2', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const again = await statusUntil(first.sweepDir, (d) => d.runs.every((p) => p.status === 'running'));
  const record = JSON.parse(readFileSync(path.join(again.runs[0].runDir, store.RUN_FILE), 'utf8')) as store.RunRecord;
  assert.ok(record.epochsDone >= epochs, 'resumed from its checkpoint, not started over');
  await cli(['sweep', '--cancel', first.sweepDir]);
  await statusUntil(first.sweepDir, (d) => d.runs.every((p) => p.status === 'cancelled'));
});

test('user errors name the problem in one line', async () => {
  assertOneLineError(await cli(['sweep', path.join(root, 'test', 'fixtures', 'runner', 'tiny.experiment.json'), '--out', out()]), /has no "sweep" block/);
  // With --wait the point workers start before the file is checked: an invalid file leaves nothing behind.
  const runs = path.join(out(), 'runs', 'here');
  assertOneLineError(await cli(['sweep', path.join(root, 'test', 'fixtures', 'runner', 'tiny.experiment.json'), '--wait', '--out', runs]), /has no "sweep" block/);
  assert.ok(!existsSync(path.dirname(runs)), 'the folders made for the early workers are removed');
  assertOneLineError(await cli(['sweep', path.join(fixtures, 'tiny-sweep.experiment.json'), '--executor', 'kubernetes']), /--executor: expected local or slurm/);
  assertOneLineError(await cli(['sweep', path.join(fixtures, 'tiny-sweep.experiment.json'), '--parallel', '0']), /--parallel: expected a positive whole number/);
  assertOneLineError(await cli(['sweep', '--status', out()]), /not a sweep \(no sweep\.json\)/);
  assertOneLineError(await cli(['run', '--sweep', out()]), /--sweep and --point go together/);
});
