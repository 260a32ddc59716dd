import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UserError } from '../../src/core/errors';
import type { RunEvent } from '../../src/core/train/events';
import type { JobSink } from '../../src/runner/job';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import type { OfflineGcrlSummary, SkillsSummary } from '../../src/runner/summary';

const EXAMPLES = path.join(__dirname, '../../examples/rl');
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ml-rljobs-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sink(events: RunEvent[]): JobSink {
  return { event: (e) => events.push(e), log: () => undefined };
}

/** Keys that legitimately differ between two runs of the same experiment. */
function comparable(s: object): Record<string, unknown> {
  const { runId: _a, runDir: _b, trainSeconds: _c, skills: _d, ...rest } = s as Record<string, unknown>;
  return rest;
}

/** Stops the job once `n` epochs have ended (whatever the machine's speed: a step boundary mid-run). */
function afterEpochs(events: RunEvent[], n: number): () => boolean {
  return () => events.filter((e) => e.type === 'rl-epoch').length >= n;
}

describe('RL jobs through the runner (skills, offline-gcrl)', () => {
  for (const [kind, example] of [['skills', 'tiny-skills'], ['offline-gcrl', 'tiny-maze']] as const) {
    it(`${kind}: stopped mid-run, resumed, ends with the numbers of an uninterrupted run; summary shape; files`, async () => {
      const file = path.join(EXAMPLES, `${example}.experiment.json`);
      const out = path.join(dir, kind);
      const straight = await runJob({ experimentFile: file, outRoot: out }, sink([]), () => false);
      assert.equal(straight.status, 'completed');

      const events: RunEvent[] = [];
      const stopped = await runJob({ experimentFile: file, outRoot: out }, sink(events), afterEpochs(events, kind === 'skills' ? 3 : 1));
      assert.equal(stopped.status, 'cancelled');
      const record = await store.readRunRecord(stopped.runDir);
      assert.equal(record?.status, 'cancelled');
      assert.equal(record?.kind, kind);
      assert.ok(existsSync(path.join(stopped.runDir, 'checkpoint', 'session.json')), 'a stopped run leaves a checkpoint');

      const resumedEvents: RunEvent[] = [];
      const resumed = await runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink(resumedEvents), () => false);
      assert.equal(resumed.status, 'completed');
      assert.equal(resumed.runDir, stopped.runDir);
      assert.deepEqual(comparable(resumed), comparable(straight), 'resuming continues exactly where the run stopped');
      assert.ok(resumedEvents.some((e) => e.type === 'rl-epoch'));
      const progress = resumedEvents.flatMap((e) => (e.type === 'progress' ? [e.fraction] : []));
      assert.equal(progress[progress.length - 1], 1);

      if (kind === 'skills') {
        const s = resumed as SkillsSummary;
        for (const k of ['status', 'kind', 'coverage', 'finalDistance', 'skills']) assert.ok(k in s, `summary has "${k}"`);
        assert.equal(s.kind, 'skills');
        assert.ok(Number.isInteger(s.coverage) && s.coverage >= 1);
        const skills = JSON.parse(readFileSync(s.skills!, 'utf8'));
        assert.equal(skills.evaluation.trajectories.length, 12);
        assert.ok(skills.networks.policy.variables.w0.float32.length > 0, 'skills.json carries the policy');
        assert.ok(resumedEvents.some((e) => e.type === 'skills-eval'));
      } else {
        const s = resumed as OfflineGcrlSummary;
        for (const k of ['status', 'kind', 'successRate', 'tasks']) assert.ok(k in s, `summary has "${k}"`);
        assert.deepEqual(Object.keys(s.tasks[0]).sort(), ['goal', 'start', 'successRate']);
        assert.equal(s.tasks.length, 2);
        for (const f of ['dataset.json', 'value.json', 'rollouts.json']) assert.ok(existsSync(path.join(s.runDir, f)), f);
        const value = JSON.parse(readFileSync(path.join(s.runDir, 'value.json'), 'utf8'));
        assert.equal(value.values.length, value.goals.length);
        assert.equal(value.values[0].length, value.cells.length);
        assert.ok(resumedEvents.some((e) => e.type === 'gcrl-eval'));
      }
    });
  }

  it('Pause Run: skills and offline-gcrl runs hold at an epoch boundary after a checkpoint, then continue to the same numbers', async () => {
    for (const [kind, example] of [['skills', 'tiny-skills'], ['offline-gcrl', 'tiny-maze']] as const) {
      const file = path.join(EXAMPLES, `${example}.experiment.json`);
      const out = path.join(dir, `pause-${kind}`);
      const straight = await runJob({ experimentFile: file, outRoot: out }, sink([]), () => false);
      const events: RunEvent[] = [];
      let runDir = '';
      const pausing: JobSink = {
        ...sink(events),
        runDir: (d) => {
          runDir = d;
          store.setPauseRequest(d, true);
        },
      };
      const job = runJob({ experimentFile: file, outRoot: out }, pausing, () => false);
      let record: store.RunRecord | undefined;
      while (!(record = await store.readRunRecord(runDir || path.join(out, 'none')))?.paused) await new Promise((r) => setTimeout(r, 20));
      assert.equal(record.status, 'running');
      assert.equal(record.epochsDone, 1, `${kind}: paused at the first epoch boundary`);
      assert.ok(existsSync(path.join(runDir, 'checkpoint', 'session.json')), `${kind}: a checkpoint before the pause`);
      const epochsSeen = events.filter((e) => e.type === 'rl-epoch').length;
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(events.filter((e) => e.type === 'rl-epoch').length, epochsSeen, `${kind}: no epoch trains while paused`);
      store.setPauseRequest(runDir, false);
      const done = await job;
      assert.equal(done.status, 'completed');
      assert.deepEqual(comparable(done), comparable(straight), `${kind}: a pause does not change the numbers`);
      const after = await store.readRunRecord(runDir);
      assert.equal(after?.paused, undefined);
      assert.ok(!existsSync(path.join(runDir, store.PAUSE_FILE)));
    }
  });

  it('offline-gcrl with evaluation.validationTasks: the summary names the selected epoch, the final evaluation is of those policies, a resumed run selects the same', async () => {
    const exp = JSON.parse(readFileSync(path.join(EXAMPLES, 'tiny-maze.experiment.json'), 'utf8').replace(/^\/\/.*$/gm, ''));
    exp.evaluation.validationTasks = [{ start: [1, 1], goal: [3, 7] }, { start: [1, 7], goal: [3, 3] }];
    const file = path.join(dir, 'selection.experiment.json');
    writeFileSync(file, JSON.stringify(exp));
    const out = path.join(dir, 'selection');
    const events: RunEvent[] = [];
    const straight = (await runJob({ experimentFile: file, outRoot: out }, sink(events), () => false)) as OfflineGcrlSummary;
    assert.equal(straight.status, 'completed');
    const validation = events.flatMap((e) => (e.type === 'rl-epoch' ? [e.metrics.hiqlValidation] : []));
    assert.equal(validation.length, 3, 'a validation score after every evaluation epoch');
    assert.equal(straight.selectedEpoch, validation.lastIndexOf(Math.max(...validation)) + 1);
    const final = events.filter((e) => e.type === 'gcrl-eval').pop();
    assert.equal(final?.type === 'gcrl-eval' && final.successRate, straight.successRate);

    const stoppedEvents: RunEvent[] = [];
    const stopped = await runJob({ experimentFile: file, outRoot: out }, sink(stoppedEvents), afterEpochs(stoppedEvents, 1));
    assert.equal(stopped.status, 'cancelled');
    const resumed = await runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink([]), () => false);
    assert.deepEqual(comparable(resumed), comparable(straight), 'resuming keeps the selection');
  });

  it('an --algo override runs another algorithm on the same file and labels the run with it', async () => {
    const s = (await runJob({ experimentFile: path.join(EXAMPLES, 'tiny-maze.experiment.json'), outRoot: path.join(dir, 'algo'), algo: 'gcbc' }, sink([]), () => false)) as OfflineGcrlSummary;
    assert.equal(s.algo, 'gcbc');
    assert.equal((await store.readRunRecord(s.runDir))?.policy, 'gcbc');
    await assert.rejects(runJob({ experimentFile: path.join(EXAMPLES, 'tiny-maze.experiment.json'), algo: 'metra' }, sink([]), () => false), (e: UserError) => /unknown algorithm "metra"/.test(e.message));
  });

  it('a dataset file from an earlier run is read back; a broken one is a user error naming the field', async () => {
    const first = (await runJob({ experimentFile: path.join(EXAMPLES, 'tiny-maze.experiment.json'), outRoot: path.join(dir, 'data') }, sink([]), () => false)) as OfflineGcrlSummary;
    const exp = JSON.parse(readFileSync(path.join(first.runDir, 'config.json'), 'utf8')).experiment;
    exp.dataset = { file: path.join(first.runDir, 'dataset.json') };
    const file = path.join(dir, 'from-file.experiment.json');
    writeFileSync(file, JSON.stringify(exp));
    const second = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'data') }, sink([]), () => false)) as OfflineGcrlSummary;
    assert.deepEqual(second.tasks, first.tasks, 'the same data and seed give the same results');
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ format: 'model-lab-rl-dataset/1', env: exp.env, trajectories: [{ observations: [[1.5, 1.5]], actions: [] }] }));
    exp.dataset = { file: path.join(dir, 'bad.json') };
    writeFileSync(file, JSON.stringify(exp));
    await assert.rejects(runJob({ experimentFile: file, outRoot: path.join(dir, 'data') }, sink([]), () => false), (e: UserError) => e instanceof UserError && e.pointer === '/dataset/file' && /at least two/.test(e.message));
  });
});
