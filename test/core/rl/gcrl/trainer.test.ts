import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { makeEnv } from '../../../../src/core/rl/env/envs';
import { evaluateAlgo, evaluationRng, valueGrid } from '../../../../src/core/rl/gcrl/evaluate';
import { generateDataset } from '../../../../src/core/rl/gcrl/generate';
import { defaultOfflineSettings, type OfflineSettings } from '../../../../src/core/rl/gcrl/settings';
import { expectileLoss, OfflineTrainer } from '../../../../src/core/rl/gcrl/trainer';
import { createRng } from '../../../../src/core/util/random';
import { useBackend } from '../../train/fixtures';

let tmp: string;
before(async () => {
  await useBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'gcrl-test-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

const layout = ['#######', '#.....#', '#.###.#', '#.....#', '#######'];

function tiny(type: 'gridmaze' | 'pointmaze'): OfflineSettings {
  const env = type === 'gridmaze' ? { type, layout } : { type, layout, maxStep: 0.5 };
  const s = defaultOfflineSettings(env, [{ start: [1, 1], goal: [3, 5] }, { start: [3, 3], goal: [1, 3] }]);
  return {
    ...s,
    algos: ['hiql', 'gcivl', 'gcbc'],
    sampling: { ...s.sampling, k: 3 },
    batchSize: 16,
    valueHidden: [16, 16],
    actorHidden: [16, 16],
    epochs: 2,
    stepsPerEpoch: 4,
    evaluation: { ...s.evaluation, episodes: 3, maxSteps: 12 },
    seed: 5,
  };
}

function data(s: OfflineSettings) {
  return generateDataset(makeEnv(s.env), s.env, { trajectories: 6, length: 20, noise: 0.3 }, createRng(s.seed));
}

async function straight(s: OfflineSettings) {
  const t = new OfflineTrainer(s, data(s));
  const metrics: Record<string, number>[] = [];
  await t.session.run(t.stages(), { onStep: (r) => void metrics.push(r.metrics) });
  const evals = s.algos.map((a) => evaluateAlgo(t, a, s.evaluation, evaluationRng(s.seed, 2)));
  const grid = valueGrid(t, [[1, 1]]);
  t.dispose();
  return { metrics, evals, grid };
}

describe('expectile loss', () => {
  it('weighs positive advantages by tau and negative ones by 1 - tau', () => {
    const out = tf.tidy(() => Array.from(expectileLoss(tf.tensor1d([1, -1, 0]), tf.tensor1d([2, 2, -3]), 0.7).dataSync()));
    assert.deepEqual(out.map((v) => Math.round(v * 1e6) / 1e6), [2.8, 1.2, 6.3]);
  });
});

describe('offline goal-conditioned trainer (HIQL, GCIVL, GCBC on one value)', () => {
  for (const [type, encoding] of [['gridmaze', 'cells'], ['pointmaze', 'cells'], ['gridmaze', 'xy']] as const) {
    it(`${type}, ${encoding} encoding: same seed, same losses, success rates, rollouts and value grid`, async () => {
      const a = await straight({ ...tiny(type), encoding });
      const b = await straight({ ...tiny(type), encoding });
      assert.deepEqual(b, a);
      const names = Object.keys(a.metrics[0]).sort();
      assert.deepEqual(names, ['gcbc', 'gcivl', 'gcivlAdv', 'hiqlHigh', 'hiqlHighAdv', 'hiqlLow', 'hiqlLowAdv', 'v', 'valueLoss']);
      for (const e of a.evals) {
        assert.equal(e.tasks.length, 2);
        assert.ok(e.successRate >= 0 && e.successRate <= 1);
        assert.equal(e.rollouts.length, 2);
        assert.ok(e.rollouts[0].positions.length >= 1 && e.rollouts[0].positions.length <= 13);
        if (e.algo === 'hiql') assert.equal(e.rollouts[0].subgoals!.length, e.rollouts[0].positions.length - 1, 'one subgoal per step');
      }
      assert.equal(a.grid.values[0].length, 12, 'one value per free cell');
    });
  }

  it('k changes HIQL\'s policies only: the value, GCIVL and GCBC train identically whatever k is (a fair comparison)', async () => {
    const a = await straight({ ...tiny('gridmaze'), sampling: { ...tiny('gridmaze').sampling, k: 2 } });
    const b = await straight({ ...tiny('gridmaze'), sampling: { ...tiny('gridmaze').sampling, k: 9 } });
    const pick = (m: Record<string, number>[], names: string[]) => m.map((r) => names.map((n) => r[n]));
    const shared = ['v', 'valueLoss', 'gcivl', 'gcivlAdv', 'gcbc'];
    assert.deepEqual(pick(b.metrics, shared), pick(a.metrics, shared));
    assert.deepEqual(b.grid, a.grid);
    assert.deepEqual(b.evals.filter((e) => e.algo !== 'hiql'), a.evals.filter((e) => e.algo !== 'hiql'));
    assert.notDeepEqual(pick(b.metrics, ['hiqlHigh', 'hiqlLow']), pick(a.metrics, ['hiqlHigh', 'hiqlLow']), 'k does reach HIQL');
  });

  it('a subset of the algorithms (bench:rl --algos) trains the same value and the same policies as all three', async () => {
    const all = await straight(tiny('gridmaze'));
    for (const algos of [['hiql'], ['gcivl'], ['hiql', 'gcivl']] as const) {
      const some = await straight({ ...tiny('gridmaze'), algos: [...algos] });
      const names = Object.keys(some.metrics[0]);
      assert.deepEqual(some.metrics, all.metrics.map((r) => Object.fromEntries(names.map((n) => [n, r[n]]))), algos.join(','));
      assert.deepEqual(some.grid, all.grid);
      assert.deepEqual(some.evals, all.evals.filter((e) => (algos as readonly string[]).includes(e.algo)));
    }
  });

  it('actorLearningRate: the policies move at their own rate, the value trains identically; equal to learningRate it is the one-rate run', async () => {
    const one = await straight(tiny('gridmaze'));
    assert.deepEqual(await straight({ ...tiny('gridmaze'), actorLearningRate: tiny('gridmaze').learningRate }), one);
    const slow = await straight({ ...tiny('gridmaze'), actorLearningRate: tiny('gridmaze').learningRate / 10 });
    const pick = (m: Record<string, number>[], names: string[]) => m.map((r) => names.map((n) => r[n]));
    assert.deepEqual(pick(slow.metrics, ['v', 'valueLoss']), pick(one.metrics, ['v', 'valueLoss']));
    assert.deepEqual(slow.grid, one.grid);
    const policies = ['hiqlHigh', 'hiqlLow', 'gcivl', 'gcbc'];
    // The first step's losses are the same (same weights, same batch); the next ones differ for every policy.
    assert.deepEqual(pick(slow.metrics.slice(0, 1), policies), pick(one.metrics.slice(0, 1), policies));
    for (const p of policies) assert.notEqual(slow.metrics[1][p], one.metrics[1][p], p);
  });

  it('highSteps: more steps of HIQL\'s high level only, deterministic under a seed; the value and every other policy train identically', async () => {
    const one = await straight(tiny('gridmaze'));
    const three = await straight({ ...tiny('gridmaze'), highSteps: 3 });
    assert.deepEqual(await straight({ ...tiny('gridmaze'), highSteps: 3 }), three, 'same seed, same numbers');
    const names = Object.keys(three.metrics[0]).sort();
    assert.deepEqual(names, ['gcbc', 'gcivl', 'gcivlAdv', 'hiqlHigh', 'hiqlHigh2', 'hiqlHigh3', 'hiqlHighAdv', 'hiqlLow', 'hiqlLowAdv', 'v', 'valueLoss']);
    const pick = (m: Record<string, number>[], keys: string[]) => m.map((r) => keys.map((n) => r[n]));
    const shared = ['v', 'valueLoss', 'gcivl', 'gcivlAdv', 'gcbc', 'hiqlLow', 'hiqlLowAdv'];
    assert.deepEqual(pick(three.metrics, shared), pick(one.metrics, shared));
    assert.deepEqual(three.grid, one.grid);
    assert.deepEqual(three.evals.filter((e) => e.algo !== 'hiql'), one.evals.filter((e) => e.algo !== 'hiql'));
    // The first high-level step of each update sees the same batch and advantages, but the weights already moved after one update.
    assert.equal(three.metrics[0].hiqlHigh, one.metrics[0].hiqlHigh);
    assert.notEqual(three.metrics[1].hiqlHigh, one.metrics[1].hiqlHigh, 'the extra steps do train the high level');
  });

  it('the budget: a longer run passes through exactly the policies a shorter one ends with (round 9\'s budget candidates, docs/rl.md)', async () => {
    const s = tiny('gridmaze');
    const short = await straight(s);
    const long = { ...s, epochs: 3 };
    const t = new OfflineTrainer(long, data(long));
    const metrics: Record<string, number>[] = [];
    let atTwo: Omit<typeof short, 'metrics'> | undefined;
    await t.session.run(t.stages((epoch) => {
      if (epoch === 2) atTwo = { evals: s.algos.map((a) => evaluateAlgo(t, a, s.evaluation, evaluationRng(s.seed, 2))), grid: valueGrid(t, [[1, 1]]) };
    }), { onStep: (r) => void metrics.push(r.metrics) });
    t.dispose();
    assert.equal(metrics.length, 3 * s.stepsPerEpoch);
    assert.deepEqual(metrics.slice(0, 2 * s.stepsPerEpoch), short.metrics);
    assert.deepEqual(atTwo, { evals: short.evals, grid: short.grid });
  });

  for (const highSteps of [1, 3]) {
    it(`resumes from a checkpoint exactly where it stopped (highSteps ${highSteps})`, async () => {
      const s = { ...tiny('gridmaze'), highSteps };
      const full = await straight(s);
      const dir = path.join(tmp, `resume-${highSteps}`);
      const first = new OfflineTrainer(s, data(s));
      let n = 0;
      assert.equal((await first.session.run(first.stages(), { shouldStop: () => n === 5, onStep: () => void n++ })).status, 'stopped');
      await first.session.save(dir, first.checkpointExtra({ mine: 1 }));
      first.dispose();
      const second = new OfflineTrainer(s, data(s));
      const loaded = await second.session.load(dir);
      assert.deepEqual(second.restore(loaded!.extra), { mine: 1 });
      const metrics: Record<string, number>[] = [];
      await second.session.run(second.stages(), { onStep: (r) => void metrics.push(r.metrics) });
      assert.deepEqual(metrics, full.metrics.slice(5));
      assert.deepEqual(evaluateAlgo(second, 'hiql', s.evaluation, evaluationRng(s.seed, 2)), full.evals[0]);
      second.dispose();
    });
  }

  it('a checkpoint from before highSteps resumes with highSteps 1 and is refused, naming the setting, with more', async () => {
    const s = tiny('gridmaze');
    const t = new OfflineTrainer(s, data(s));
    const old = { json: { trainer: { epochSums: {}, epochCount: 0 }, caller: { mine: 1 } } };
    assert.deepEqual(t.restore(old), { mine: 1 });
    t.dispose();
    const more = new OfflineTrainer({ ...s, highSteps: 2 }, data(s));
    assert.throws(() => more.restore(old), /written before training\.highSteps existed.*resume it with highSteps 1, not 2/);
    more.dispose();
  });

  it('checkpoint selection (evaluation.validationTasks): training unchanged; the final evaluation uses each algorithm\'s policies of its best validation epoch (ties: the later); the current ones come back exactly; a resumed run selects the same', async () => {
    const plain = { ...tiny('gridmaze'), epochs: 6, stepsPerEpoch: 10 };
    plain.evaluation = { ...plain.evaluation, everyEpochs: 1 };
    const s = { ...plain, evaluation: { ...plain.evaluation, validationTasks: [{ start: [1, 2], goal: [1, 4] }, { start: [3, 4], goal: [3, 2] }, { start: [2, 1], goal: [3, 1] }] as OfflineSettings['evaluation']['tasks'] } };
    const rows = new Float32Array([-0.5, -0.5, 0.5, 0.5, 0.2, -0.3, -0.4, 0.1]);
    const trace = async (settings: OfflineSettings, t: OfflineTrainer, opts: { shouldStop?: () => boolean; onStep?: () => void } = {}) => {
      const steps: Record<string, number>[] = [];
      const epochs: { validation: Record<string, number>; outputs: Record<string, number[]> }[] = [];
      const result = await t.session.run(t.stages((epoch, m) => {
        epochs[epoch] = {
          validation: Object.fromEntries(settings.algos.map((a) => [a, m[`${a}Validation`]])),
          outputs: Object.fromEntries(['hiqlHigh', 'hiqlLow', 'gcivl', 'gcbc'].map((p) => [p, Array.from(t.policyOutputs(p, rows, 2))])),
        };
      }), { shouldStop: opts.shouldStop, onStep: (r) => void (steps.push(r.metrics), opts.onStep?.()) });
      return { steps, epochs, result };
    };
    const base = new OfflineTrainer(plain, data(plain));
    const without = await trace(plain, base);
    base.dispose();
    const t = new OfflineTrainer(s, data(s));
    const run = await trace(s, t);
    assert.deepEqual(run.steps, without.steps, 'selection does not change training');
    const chosen: number[] = [];
    for (const algo of s.algos) {
      const scores = run.epochs.map((e) => e?.validation[algo]);
      const best = Math.max(...scores.filter((x) => x !== undefined));
      const expected = scores.lastIndexOf(best);
      assert.deepEqual(t.selectedEpoch(algo), { successRate: best, epoch: expected }, `${algo}: validation ${JSON.stringify(scores)}`);
      chosen.push(expected);
      const groups = algo === 'hiql' ? ['hiqlHigh', 'hiqlLow'] : [algo];
      const inside = await t.withSelected(algo, () => groups.map((p) => Array.from(t.policyOutputs(p, rows, 2))));
      assert.deepEqual(inside, groups.map((p) => run.epochs[expected].outputs[p]), `${algo}: the policies of epoch ${expected}`);
      assert.deepEqual(groups.map((p) => Array.from(t.policyOutputs(p, rows, 2))), groups.map((p) => run.epochs[6].outputs[p]), `${algo}: the last policies are back`);
    }
    assert.ok(chosen.some((e) => e < 6), `this seed selects an earlier epoch for some algorithm (else the test shows little): ${chosen}; ${JSON.stringify(run.epochs.map((e) => e?.validation))}`);
    const final = await Promise.all(s.algos.map((a) => t.withSelected(a, () => evaluateAlgo(t, a, s.evaluation, evaluationRng(s.seed, 6)))));
    t.dispose();

    const dir = path.join(tmp, 'resume-selection');
    const first = new OfflineTrainer(s, data(s));
    let n = 0;
    assert.equal((await trace(s, first, { shouldStop: () => n === 25, onStep: () => void n++ })).result.status, 'stopped');
    await first.session.save(dir, first.checkpointExtra({}));
    first.dispose();
    const second = new OfflineTrainer(s, data(s));
    second.restore((await second.session.load(dir))!.extra);
    await second.session.run(second.stages());
    assert.deepEqual(s.algos.map((a) => second.selectedEpoch(a)?.epoch), chosen);
    assert.deepEqual(await Promise.all(s.algos.map((a) => second.withSelected(a, () => evaluateAlgo(second, a, s.evaluation, evaluationRng(s.seed, 6))))), final);
    second.dispose();
  });

  it('reaches near goals after a little training on a small grid (the machinery learns)', async () => {
    const s = { ...tiny('gridmaze'), algos: ['gcivl' as const], epochs: 6, stepsPerEpoch: 100, batchSize: 64, valueHidden: [32, 32], actorHidden: [32, 32] };
    s.evaluation = { ...s.evaluation, tasks: [{ start: [1, 1], goal: [1, 3] }, { start: [3, 5], goal: [3, 3] }], episodes: 5, epsilon: 0, maxSteps: 10 };
    const d = generateDataset(makeEnv(s.env), s.env, { trajectories: 20, length: 40, noise: 0.2 }, createRng(1));
    const t = new OfflineTrainer(s, d);
    await t.session.run(t.stages());
    const e = evaluateAlgo(t, 'gcivl', s.evaluation, evaluationRng(1, 0));
    const grid = valueGrid(t, [[1, 3]]);
    t.dispose();
    assert.equal(e.successRate, 1, `two-step tasks: ${JSON.stringify(e.tasks)}`);
    const at = (cell: [number, number]) => grid.values[0][grid.cells.findIndex((c) => c[0] === cell[0] && c[1] === cell[1])];
    assert.ok(at([1, 3]) > at([3, 1]), 'the goal cell is worth more than the far corner');
  });
});
