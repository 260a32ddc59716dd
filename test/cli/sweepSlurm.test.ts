import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as store from '../../src/runner/runStore';
import { cli, root } from './cliProcess';

/**
 * Against a real Slurm: `scripts/slurm/single-node.sh start` (what `.ci/run` does) runs a
 * one-node cluster on this machine. Without `sbatch` on PATH these tests are
 * skipped, with the reason printed.
 */
function slurmMissing(): string | false {
  try {
    execFileSync('sinfo', ['-h', '-o', '%t'], { stdio: 'pipe', timeout: 20_000 });
    return false;
  } catch (e) {
    return `no Slurm cluster here (sinfo: ${(e as Error).message.split('\n')[0]}); start one with scripts/slurm/single-node.sh start`;
  }
}
const skip = slurmMissing();
if (skip) console.log(`# skipping the Slurm tests: ${skip}`);

const fixtures = path.join(root, 'test', 'fixtures', 'sweep');
const out = () => mkdtempSync(path.join(tmpdir(), 'ml-slurm-'));

interface SweepDoc {
  executor: string;
  jobId?: string;
  sweepDir: string;
  runs: { index: number; runDir: string; params: Record<string, unknown>; status: string; metrics?: { accuracy: number; loss: number }; slurm?: store.SlurmRef }[];
}

async function statusUntil(sweepDir: string, done: (doc: SweepDoc) => boolean): Promise<SweepDoc> {
  for (;;) {
    const r = await cli(['sweep', '--status', sweepDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as SweepDoc;
    if (done(doc)) return doc;
    await new Promise((res) => setTimeout(res, 500));
  }
}

const record = (runDir: string) => JSON.parse(readFileSync(path.join(runDir, store.RUN_FILE), 'utf8')) as store.RunRecord;

test('a 4-point sweep on Slurm (one sbatch array) gives the runs, params and metrics of the same sweep run locally', { skip }, async () => {
  const file = path.join(fixtures, 'tiny-sweep.experiment.json');
  const [onSlurm, local] = await Promise.all([
    cli(['sweep', file, '--executor', 'slurm', '--wait', '--json', '--out', out()]),
    cli(['sweep', file, '--executor', 'local', '--parallel', '1', '--wait', '--json', '--out', out()]),
  ]);
  assert.equal(onSlurm.code, 0, onSlurm.stderr);
  assert.equal(local.code, 0, local.stderr);
  const s = JSON.parse(onSlurm.stdout) as SweepDoc;
  const l = JSON.parse(local.stdout) as SweepDoc;
  assert.equal(s.executor, 'slurm');
  assert.match(s.jobId ?? '', /^\d+$/);
  assert.equal(s.runs.length, 4);
  for (const [i, p] of s.runs.entries()) {
    assert.equal(p.status, 'completed', JSON.stringify(p));
    assert.deepEqual(p.params, l.runs[i].params);
    // The same seeds on the same single-threaded backend: the same training, wherever it runs.
    assert.equal(p.metrics?.accuracy, l.runs[i].metrics?.accuracy);
    assert.ok(Math.abs((p.metrics?.loss ?? NaN) - (l.runs[i].metrics?.loss ?? NaN)) < 1e-6);
    assert.deepEqual(record(p.runDir).slurm, { jobId: s.jobId, arrayIndex: i });
    assert.equal(record(p.runDir).sweep?.index, i);
  }
  assert.match(readFileSync(path.join(s.sweepDir, 'submit.sh'), 'utf8'), /run --sweep .*sweep\.json --point "\$SLURM_ARRAY_TASK_ID"/);
});

test('scancel of one task stops its run resumable; --resume resubmits that point only, and it continues from its checkpoint', { skip }, async () => {
  const started = await cli(['sweep', path.join(fixtures, 'endless-sweep.experiment.json'), '--executor', 'slurm', '--json', '--out', out()]);
  assert.equal(started.code, 0, started.stderr);
  const first = JSON.parse(started.stdout) as SweepDoc;
  const job = first.jobId as string;
  try {
    await statusUntil(first.sweepDir, (d) => d.runs.every((p) => p.status === 'running') && store.hasCheckpoint(d.runs[0].runDir));
    const cancel = await cli(['sweep', '--cancel', first.sweepDir, '--point', '0']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stderr, new RegExp(`scancel ${job}_0`));
    const stopped = await statusUntil(first.sweepDir, (d) => d.runs[0].status === 'cancelled');
    assert.equal(stopped.runs[1].status, 'running', 'the other task runs on');
    const epochs = record(stopped.runs[0].runDir).epochsDone;
    assert.ok(epochs >= 1);

    const resumed = await cli(['sweep', '--resume', first.sweepDir, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /submitted array job \d+ \(1 task\)/);
    const second = JSON.parse(resumed.stdout) as SweepDoc;
    assert.notEqual(second.jobId, job);
    const again = await statusUntil(first.sweepDir, (d) => d.runs[0].status === 'running' && record(d.runs[0].runDir).slurm?.jobId === second.jobId);
    assert.ok(record(again.runs[0].runDir).epochsDone >= epochs, 'resumed from its checkpoint, not started over');
    assert.deepEqual(record(again.runs[0].runDir).slurm, { jobId: second.jobId, arrayIndex: 0 });
    assert.equal(record(again.runs[1].runDir).slurm?.jobId, job);
  } finally {
    await cli(['sweep', '--cancel', first.sweepDir]);
  }
  const ended = await statusUntil(first.sweepDir, (d) => d.runs.every((p) => p.status !== 'running' && p.status !== 'queued'));
  assert.deepEqual(ended.runs.map((p) => p.status), ['cancelled', 'cancelled']);
});
