import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkExperimentText, loadExperimentFile } from '../../../src/core/experiment/load';

const check = (exp: object) => checkExperimentText(JSON.stringify(exp), '');
const POLICY = { kind: 'diffusion-policy', name: 'p', dataset: { toy: 'four-corners' }, policy: 'diffusion', objective: 'bc' };
const GENERATION = { kind: 'diffusion', name: 'g', data: { toy: 'shapes' } };

test('the diffusion examples have no problems; those on generated data load with their defaults filled in', async () => {
  const dir = path.join(__dirname, '../../../examples/diffusion');
  const files = readdirSync(dir).filter((f) => f.endsWith('.experiment.json'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    // Fashion-MNIST comes from Debian's dataset-fashion-mnist, which a test machine need not have.
    assert.deepEqual(checkExperimentText(text, path.join(dir, f), 'none').filter((d) => d.severity === 'error' || d.severity === 'warning'), [], f);
    if (!text.includes('"toy"')) continue;
    const loaded = await loadExperimentFile(path.join(dir, f)).catch((e: Error) => assert.fail(`${f}: ${e.message}`));
    assert.deepEqual(loaded.warnings, [], f);
    const exp = loaded.experiment;
    if (exp.kind === 'diffusion-policy') assert.equal(exp.training?.checkpointEvery, 500, `${f}: defaults are filled in`);
    else assert.equal(exp.kind, 'diffusion', f);
  }
});

test('diffusion-policy: fields of another choice are warnings that name the choice; contradictions and a file without modes are errors', () => {
  assert.deepEqual(check(POLICY), []);
  const bcWithEta = check({ ...POLICY, eta: 1, training: { warmupSteps: 10 } });
  assert.deepEqual(bcWithEta.map((d) => [d.pointer, d.severity]), [['/eta', 'warning'], ['/training/warmupSteps', 'warning']]);
  assert.match(bcWithEta[0].message, /objective "ql"/);
  const gaussianChain = check({ ...POLICY, policy: 'gaussian', diffusion: { steps: 5 } });
  assert.deepEqual(gaussianChain.map((d) => d.pointer), ['/diffusion']);
  const longWarmup = check({ ...POLICY, objective: 'ql', training: { steps: 100, warmupSteps: 100 } });
  assert.deepEqual(longWarmup.map((d) => [d.pointer, d.severity]), [['/training/warmupSteps', 'error']]);
  const noModes = check({ ...POLICY, dataset: { file: 'x.jsonl' } });
  assert.ok(noModes.some((d) => d.pointer === '/dataset' && /needs "modes"/.test(d.message) && d.severity === 'error'), JSON.stringify(noModes));
  const maze = { maze: { layout: ['#####', '#...#', '#####'] }, goal: [1, 3] };
  assert.deepEqual(check({ ...POLICY, dataset: maze }), []);
  const mazeProblems = [
    check({ ...POLICY, dataset: { ...maze, goal: [0, 0] } }),
    check({ ...POLICY, dataset: { ...maze, maze: { layout: ['#####', '#.#.#', '#####'] } } }),
    check({ ...POLICY, dataset: { maze: maze.maze } }),
    check({ ...POLICY, dataset: { ...maze, size: 8 } }),
    check({ ...POLICY, dataset: { toy: 'four-corners', goal: [1, 1] } }),
  ];
  assert.deepEqual(mazeProblems.map((p) => p.map((d) => [d.pointer, d.severity])), [
    [['/dataset/goal', 'error']], [['/dataset/maze/layout/1', 'error']], [['/dataset', 'error']], [['/dataset/size', 'warning']], [['/dataset/goal', 'warning']],
  ]);
  assert.match(mazeProblems[0][0].message, /the goal \[0, 0\] is a wall/);
  assert.match(mazeProblems[2][0].message, /needs "goal"/);
  const typo = check({ ...POLICY, policy: 'difusion' });
  assert.equal(typo.length, 1);
  assert.equal(typo[0].pointer, '/policy');
});

test('diffusion: schema limits and contradictions at the field', () => {
  assert.deepEqual(check(GENERATION), []);
  const oddCalls = check({ ...GENERATION, diffusion: { calls: 5 } });
  assert.deepEqual(oddCalls.map((d) => d.pointer), ['/diffusion/calls']);
  const curve = check({ ...GENERATION, evaluation: { samples: 100, curveSamples: 200 } });
  assert.deepEqual(curve.map((d) => d.pointer), ['/evaluation/curveSamples']);
  const mixed = check({ ...GENERATION, data: { toy: 'shapes', limit: 100 } });
  assert.deepEqual(mixed.map((d) => [d.pointer, d.severity]), [['/data/limit', 'warning']]);
});

test('diffusion: the validation choice of sampling knobs is checked field by field', () => {
  assert.deepEqual(check({ ...GENERATION, diffusion: { coarseShare: 0.6 }, validation: { samples: 200, guidance: [0, 1.5, 3], coarseShare: [0.4, 0.6] } }), []);
  assert.deepEqual(check({ ...GENERATION, validation: { samples: 0 } }), [], 'no selection');
  assert.deepEqual(check({ ...GENERATION, diffusion: { coarseShift: -1.386, coarseRows: 0.667 } }), [], "coarse-to-fine's coarse-stage training knobs");
  for (const [bad, pointer] of [
    [{ validation: { coarseShare: [0.5, 1] } }, '/validation/coarseShare/1'],
    [{ validation: { guidance: [-1] } }, '/validation/guidance/0'],
    [{ validation: { samples: -5 } }, '/validation/samples'],
    [{ diffusion: { coarseShare: 0 } }, '/diffusion/coarseShare'],
    [{ diffusion: { coarseRows: 1 } }, '/diffusion/coarseRows'],
    [{ diffusion: { coarseShift: 20 } }, '/diffusion/coarseShift'],
  ] as const) {
    const problems = check({ ...GENERATION, ...bad });
    assert.ok(problems.some((d) => d.severity === 'error' && d.pointer === pointer), `${pointer}: ${JSON.stringify(problems)}`);
  }
});
