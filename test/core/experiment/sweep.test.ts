import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { checkExperimentText } from '../../../src/core/experiment/load';
import { expandSweep, sweepPointCount } from '../../../src/core/experiment/sweep';
import { loadSweepText } from '../../../src/core/experiment/sweepLoad';
import type { TrainExperiment } from '../../../src/core/experiment/types';

const FILE = path.resolve(__dirname, '../../fixtures/sweep/tiny-sweep.experiment.json');
const TEXT = readFileSync(FILE, 'utf8');

/** The fixture with its sweep block replaced (the block is the file's last property). */
function withSweep(sweep: unknown): string {
  const at = TEXT.indexOf('"sweep"');
  return `${TEXT.slice(0, at)}"sweep": ${JSON.stringify(sweep, null, 2)}\n}\n`;
}

function lineOf(text: string, needle: string): number {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `${needle} not in text`);
  return text.slice(0, offset).split('\n').length;
}

test('a grid expands to every combination, the last key fastest', () => {
  const points = expandSweep({ grid: { '/a': [1, 2], '/b': ['x', 'y', 'z'] } });
  assert.equal(points.length, 6);
  assert.deepEqual(points.map((p) => p.index), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(points[0].params, { '/a': 1, '/b': 'x' });
  assert.deepEqual(points[1].params, { '/a': 1, '/b': 'y' });
  assert.deepEqual(points[5].params, { '/a': 2, '/b': 'z' });
  assert.equal(sweepPointCount({ grid: { '/a': [1, 2], '/b': ['x', 'y', 'z'] } }), 6);
});

test('random samples are reproducible from the seed, inside their ranges, and crossed with the grid', () => {
  const sweep = {
    grid: { '/g': [0, 1] },
    random: { count: 5, seed: 11, params: { '/lr': { logUniform: [1e-4, 1e-2] as [number, number] }, '/w': { int: [2, 4] as [number, number] }, '/p': { choice: ['a', 'b'] } } },
  };
  const a = expandSweep(sweep);
  assert.equal(a.length, 10);
  assert.equal(sweepPointCount(sweep), 10);
  assert.deepEqual(expandSweep(sweep), a, 'same seed, same points');
  assert.notDeepEqual(expandSweep({ ...sweep, random: { ...sweep.random, seed: 12 } }), a, 'another seed draws other points');
  for (const p of a) {
    const lr = p.params['/lr'] as number;
    assert.ok(lr >= 1e-4 && lr <= 1e-2, String(lr));
    assert.ok([2, 3, 4].includes(p.params['/w'] as number));
    assert.ok(['a', 'b'].includes(p.params['/p'] as string));
  }
  // The same 5 samples for each grid value.
  assert.deepEqual(a.slice(0, 5).map((p) => p.params['/lr']), a.slice(5).map((p) => p.params['/lr']));
});

test('random without params samples distinct grid points, in grid order', () => {
  const grid = { '/a': [1, 2, 3, 4], '/b': [1, 2, 3] };
  const picked = expandSweep({ grid, random: { count: 5, seed: 3 } });
  assert.equal(picked.length, 5);
  const all = expandSweep({ grid }).map((p) => JSON.stringify(p.params));
  const keys = picked.map((p) => JSON.stringify(p.params));
  assert.equal(new Set(keys).size, 5);
  const positions = keys.map((k) => all.indexOf(k));
  assert.ok(positions.every((i) => i >= 0));
  assert.deepEqual(positions, [...positions].sort((x, y) => x - y));
});

test('the fixture sweep is valid and loads one experiment per point, without its sweep block', () => {
  assert.deepEqual(checkExperimentText(TEXT, FILE).filter((d) => d.severity === 'error'), []);
  const { points } = loadSweepText(TEXT, FILE);
  assert.equal(points.length, 4);
  const exps = points.map((p) => p.experiment as TrainExperiment);
  assert.deepEqual(exps.map((e) => [e.training.optimizer?.learningRate, (e.model.layers?.[0] as { units?: number }).units]), [[0.003, 8], [0.003, 16], [0.01, 8], [0.01, 16]]);
  for (const e of exps) {
    assert.equal((e as { sweep?: unknown }).sweep, undefined);
    assert.ok(path.isAbsolute((e.data as { train: string }).train), 'paths resolved like a file of its own');
  }
});

test('a pointer that is not in the experiment is an error at its key, naming it', () => {
  for (const pointer of ['/training/optimiser/learningRate', '/training/warmup']) {
    const text = withSweep({ grid: { [pointer]: [1, 2] } });
    const d = checkExperimentText(text, FILE).filter((x) => x.severity === 'error');
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.match(d[0].message, /is not a field of this experiment/);
    assert.ok(d[0].message.includes(pointer));
    assert.equal(d[0].line, lineOf(text, `"${pointer}"`));
  }
});

test('a value the schema rejects at its pointer is an error at that value', () => {
  const text = withSweep({ grid: { '/training/optimizer/learningRate': [0.001, -1], '/freezing/policy': ['none', 'sometimes'] } });
  const d = checkExperimentText(text, FILE).filter((x) => x.severity === 'error');
  assert.equal(d.length, 2, JSON.stringify(d));
  assert.match(d[0].message, /^-1 is not a valid value for "\/training\/optimizer\/learningRate"/);
  assert.equal(d[0].line, lineOf(text, '-1'));
  assert.match(d[1].message, /"sometimes" is not a valid value for "\/freezing\/policy"/);
  assert.equal(d[1].line, lineOf(text, '"sometimes"'));
});

test('the sweep cannot vary its kind, and an empty random range is named', () => {
  const text = withSweep({ grid: { '/kind': ['train'] }, random: { count: 2, params: { '/training/seed': { int: [5, 1] } } } });
  const d = checkExperimentText(text, FILE).filter((x) => x.severity === 'error');
  assert.deepEqual(d.map((x) => x.message), ['a sweep cannot vary "/kind"', 'the range of "/training/seed" is empty: low 5 is above high 1']);
});

test('a point whose combination is invalid is an error at the sweep block in the editor, and a UserError when expanded', () => {
  // Each value alone is fine; "static" without the options static needs is not.
  const text = withSweep({ grid: { '/freezing/policy': ['none', 'static'] } });
  const d = checkExperimentText(text, FILE).filter((x) => x.severity === 'error');
  assert.equal(d.length, 1, JSON.stringify(d));
  assert.match(d[0].message, /^point 1 \(\/freezing\/policy="static"\) is not a valid experiment: \/freezing: /);
  assert.equal(d[0].line, lineOf(text, '"sweep"'));
  assert.throws(() => loadSweepText(text, FILE), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^point 1 \(\/freezing\/policy="static"\) is not a valid experiment/);
    assert.equal(e.line, lineOf(text, '"sweep"'));
    return true;
  });
});

test('a point that changes the freezing policy drops the options the new policy does not take (the digits example)', () => {
  const file = path.resolve(__dirname, '../../../examples/digits/digits-sweep.experiment.json');
  const text = readFileSync(file, 'utf8');
  assert.deepEqual(checkExperimentText(text, file).filter((d) => d.severity !== 'info'), []);
  const { points } = loadSweepText(text, file);
  const freezing = points.map((p) => (p.experiment as TrainExperiment).freezing);
  assert.deepEqual(freezing.map((f) => f?.policy), ['none', 'smartfrz', 'none', 'smartfrz']);
  assert.ok(freezing[0] && !('snapshotEvery' in freezing[0]), JSON.stringify(freezing[0]));
  assert.ok(freezing[1] && 'snapshotEvery' in freezing[1], 'smartfrz keeps its defaults');
});
