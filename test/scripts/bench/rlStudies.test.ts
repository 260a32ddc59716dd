import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseMazeFile, taskLength } from '../../../src/core/rl/env/maze';
import { defaultOfflineSettings } from '../../../src/core/rl/gcrl/settings';
import { FAR_STEPS, OFFLINE_STUDY, offlineArm, VALIDATION_TASKS, validationTasks, withOverrides } from '../../../scripts/bench/rlStudies';

const mazes = ['corridors', 'switchbacks'].map((name) => ({ name, ...parseMazeFile(JSON.parse(readFileSync(path.join(__dirname, `../../../examples/rl/mazes/${name}.json`), 'utf8'))) }));

describe('the offline study\'s splits and settings (scripts/bench/rlStudies.ts)', () => {
  for (const { name, maze, tasks } of mazes) {
    it(`${name}: the validation split is far, fixed, and shares no start or goal cell with the file's tasks (the test split)`, () => {
      const v = validationTasks(maze, tasks);
      assert.equal(v.length, VALIDATION_TASKS);
      assert.deepEqual(validationTasks(maze, tasks), v, 'the same tasks every time, whatever the study\'s seed');
      const cell = (c: readonly [number, number]) => `${c[0]},${c[1]}`;
      const test = new Set(tasks.flatMap((t) => [cell(t.start), cell(t.goal)]));
      for (const t of v) {
        assert.ok(taskLength(maze, t) >= FAR_STEPS, `${JSON.stringify(t)} is far`);
        assert.ok(!test.has(cell(t.start)) && !test.has(cell(t.goal)), `${JSON.stringify(t)} is apart from the test tasks`);
      }
      assert.equal(new Set(v.map((t) => cell(t.goal))).size, v.length, 'distinct goals');
    });
  }

  it('the study\'s arm carries the chosen HIQL settings (k = 3, adopted in round 11 on dev-1; 3 high-level steps, 12,000 updates) and the experiment defaults stay official', () => {
    const { maze, tasks } = mazes[0];
    const { settings } = offlineArm(['hiql'], tasks, maze.layout, 0, false);
    assert.equal(settings.sampling.k, 3, 'round 11\'s adoption (docs/rl.md)');
    assert.equal(settings.highSteps, OFFLINE_STUDY.highSteps);
    assert.equal(settings.highSteps, 3);
    assert.equal(settings.epochs * settings.stepsPerEpoch, 12_000, 'the budget adopted in round 9 (docs/rl.md)');
    assert.equal(settings.actorLearningRate, settings.learningRate, 'one rate for every network (round 10 adopted no other)');
    const official = defaultOfflineSettings(settings.env, tasks);
    assert.deepEqual([official.sampling.k, official.highSteps], [25, 1]);
    assert.deepEqual(settings.evaluation.validationTasks, [], 'no checkpoint selection unless the study passes its validation split');
    const v = validationTasks(maze, tasks);
    assert.deepEqual(offlineArm(['hiql'], tasks, maze.layout, 0, false, v).settings.evaluation.validationTasks, v);
    assert.equal(official.evaluation.validationTasks, undefined, 'experiments select nothing by default');
  });

  it('--set: candidate settings over the study\'s, nested objects merged, the rest untouched; unknown names refused', () => {
    const { maze, tasks } = mazes[0];
    const { settings } = offlineArm(['hiql', 'gcivl'], tasks, maze.layout, 0, false);
    const before = structuredClone(settings);
    const highRandom = withOverrides(settings, { sampling: { highRandom: 0 } });
    assert.equal(highRandom.sampling.highRandom, 0);
    assert.deepEqual({ ...highRandom.sampling, highRandom: settings.sampling.highRandom }, settings.sampling, 'only highRandom moved');
    assert.deepEqual(withOverrides(settings, { sampling: { k: 3 } }).sampling.k, 3);
    const goals = withOverrides(settings, { sampling: { goals: { random: 0.1, trajectory: 0.7 } } }).sampling.goals;
    assert.deepEqual(goals, { current: 0.2, trajectory: 0.7, random: 0.1 }, 'goals merged, current kept');
    assert.equal(withOverrides(settings, { highSteps: 1 }).highSteps, 1);
    assert.deepEqual(withOverrides(settings, {}), settings);
    assert.deepEqual(settings, before, 'the study\'s settings are not changed in place');
    assert.throws(() => withOverrides(settings, { hihgSteps: 1 }), /no 'hihgSteps'/);
    assert.throws(() => withOverrides(settings, { sampling: { highRandm: 0 } }), /sampling has no 'highRandm'/);
  });
});
