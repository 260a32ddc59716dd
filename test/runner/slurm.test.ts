import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { arraySpec, fromSlurmState, sbatchArguments, taskScript } from '../../src/runner/slurm';
import { slurmFromEnv } from '../../src/runner/runStore';
import { jobOfPoint, type SweepPlan } from '../../src/runner/sweepPlan';

const plan = (n: number): SweepPlan => ({
  version: 1, sweepId: 's1', name: 'digits', experimentFile: '/work/exp/digits.experiment.json', root: '/shared/runs', createdAt: '', executor: 'slurm', cluster: {},
  points: Array.from({ length: n }, (_, index) => ({ index, runId: `s1-p${index}`, params: {}, experiment: {} as SweepPlan['points'][0]['experiment'] })),
});

test('array specs: a range for a whole sweep, ranges and singles for a resubmission', () => {
  assert.equal(arraySpec([0, 1, 2, 3]), '0-3');
  assert.equal(arraySpec([6, 1, 4, 5, 5]), '1,4-6');
  assert.equal(arraySpec([7]), '7');
});

test('sbatch arguments: one array of N tasks, throttled with %, cluster settings, extra arguments last before the script', () => {
  const args = sbatchArguments(plan(4), { partition: 'gpu', time: '01:00:00', cpusPerTask: 2, mem: '4G', maxConcurrent: 2, sbatchArgs: ['--account=ml', '--requeue'] });
  assert.ok(args.includes('--array=0-3%2'));
  assert.ok(args.includes('--parsable'));
  for (const a of ['--partition=gpu', '--time=01:00:00', '--cpus-per-task=2', '--mem=4G']) assert.ok(args.includes(a), a);
  assert.ok(args.includes(`--output=${path.join('/shared/runs/s1', 'slurm-%A_%a.out')}`));
  assert.deepEqual(args.slice(-3), ['--account=ml', '--requeue', path.join('/shared/runs/s1', 'submit.sh')]);
  assert.ok(sbatchArguments(plan(4), {}, [1, 3]).includes('--array=1,3'));
});

test('the task script runs the setup lines, then execs the point of its array index (quoted paths)', () => {
  const script = taskScript({ ...plan(2), root: "/shared/o'brien runs" }, { setup: ['module load nodejs/20'] }, { node: '/usr/bin/node', args: ['/opt/model-lab/dist/cli.js'] });
  const lines = script.split('\n');
  assert.equal(lines[0], '#!/bin/bash');
  assert.ok(lines.indexOf('module load nodejs/20') < lines.findIndex((l) => l.startsWith('exec ')));
  assert.ok(script.includes(`exec /usr/bin/node /opt/model-lab/dist/cli.js run --sweep '/shared/o'\\''brien runs/s1/sweep.json' --point "$SLURM_ARRAY_TASK_ID" --json`), script);
  assert.match(taskScript(plan(1), { node: '/cluster/node' }, { node: '/usr/bin/node', args: ['cli.js'] }), /exec \/cluster\/node cli\.js run/);
});

test('Slurm states map to point statuses; ended tasks say why', () => {
  assert.equal(fromSlurmState('PENDING', '5', 1).status, 'queued');
  assert.equal(fromSlurmState('RUNNING', '5', 1).status, 'running');
  assert.equal(fromSlurmState('COMPLETED', '5', 1).status, 'completed');
  assert.equal(fromSlurmState('CANCELLED', '5', 1).status, 'cancelled');
  assert.match(fromSlurmState('TIMEOUT', '5', 1).message ?? '', /5_1 reached its time limit; resume it/);
  assert.equal(fromSlurmState('PREEMPTED', '5', 1).status, 'interrupted');
  assert.match(fromSlurmState('OUT_OF_MEMORY', '5', 1).message ?? '', /--mem/);
});

test('a run under Slurm records its array job and index; outside Slurm nothing', () => {
  assert.deepEqual(slurmFromEnv({ SLURM_JOB_ID: '13', SLURM_ARRAY_JOB_ID: '12', SLURM_ARRAY_TASK_ID: '3' }), { jobId: '12', arrayIndex: 3 });
  assert.deepEqual(slurmFromEnv({ SLURM_JOB_ID: '13' }), { jobId: '13' });
  assert.equal(slurmFromEnv({}), undefined);
});

test('the latest submission that holds a point is its job', () => {
  const p = { ...plan(3), slurm: { script: '', jobs: [{ jobId: '10', indices: [0, 1, 2] }, { jobId: '11', indices: [1] }] } };
  assert.equal(jobOfPoint(p, 0), '10');
  assert.equal(jobOfPoint(p, 1), '11');
  assert.equal(jobOfPoint(plan(1), 0), undefined);
});
