import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment } from '../../src/core/experiment/types';
import type { SweepPlan } from '../../src/runner/sweepPlan';
import { sweepState, type SchedulerView } from '../../src/runner/sweepState';

/**
 * A Slurm point that was cancelled and then resubmitted (Resume Sweep): its run record still says
 * cancelled under the old job until the new task starts and writes. Meanwhile the point is its
 * new task's (queued, then running), so a follower does not end at once with "2 cancelled" (s24d:
 * the resumed sweep's progress closed before the test could see it).
 */
test('a resubmitted Slurm point is its new task\'s until that task writes its record', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'model-lab-sweepstate-'));
  try {
    const plan: SweepPlan = {
      version: 1, sweepId: 's', name: 'long', experimentFile: path.join(root, 'x.experiment.json'), root, createdAt: '2026-12-07T00:00:00Z',
      executor: 'slurm', cluster: {}, points: [0, 1].map((index) => ({ index, runId: `p${index}`, params: {}, experiment: {} as Experiment })),
      slurm: { jobs: [{ jobId: '10', indices: [0, 1] }, { jobId: '11', indices: [0] }], script: 'job.sh' },
    };
    const record = (runId: string, status: string, jobId: string) => {
      mkdirSync(path.join(root, runId), { recursive: true });
      writeFileSync(path.join(root, runId, 'run.json'), JSON.stringify({
        runId, runDir: path.join(root, runId), experimentFile: plan.experimentFile, experiment: 'long', policy: 'none', status,
        startedAt: '2026-12-07T00:00:00Z', epochsDone: 3, epochs: 100, slurm: { jobId, arrayIndex: 0 },
      }));
    };
    record('p0', 'cancelled', '10');
    record('p1', 'cancelled', '10');
    const view = (status: 'queued' | 'running' | 'cancelled'): SchedulerView => (index) => (index === 0 ? { status } : { status: 'cancelled', message: 'Slurm task 10_1 was cancelled' });

    const [p0, p1] = await sweepState(plan, view('queued'));
    assert.equal(p0.status, 'queued', 'resubmitted as job 11, waiting in the queue');
    assert.equal(p0.message, undefined);
    assert.equal(p1.status, 'cancelled', 'not resubmitted: its record stands');
    assert.equal((await sweepState(plan, view('running')))[0].status, 'running');

    // Once the new task has written the record, the record is the point again.
    record('p0', 'cancelled', '11');
    assert.equal((await sweepState(plan, view('running')))[0].status, 'cancelled');
    // Without the scheduler (or a local sweep), the record as written.
    record('p0', 'cancelled', '10');
    assert.equal((await sweepState(plan))[0].status, 'cancelled');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
