import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { UserError } from '../../../src/core/errors';
import { loadRewardsFile, parseRewardsText } from '../../../src/core/reward/rewardsFile';
import { starcDistance } from '../../../src/core/reward/starc';

const EXAMPLES = path.join(__dirname, '../../../examples/rewards');

test('the shipped worked example loads and reproduces the spec distance', async () => {
  const f = await loadRewardsFile(path.join(EXAMPLES, 'worked-example.rewards.json'));
  assert.deepEqual(f.names, ['R1', 'R2', 'R1-shaped', 'in-state-2']);
  const d = starcDistance(f.mdp, f.rewards[0], f.rewards[1], { canon: 'epic', norm: '2', metric: '2' });
  assert.ok(Math.abs(d - 0.6252512112) < 1e-9);
  assert.ok(starcDistance(f.mdp, f.rewards[0], f.rewards[2], { canon: 'dard', norm: '1', metric: 'inf' }) < 1e-9);
  // {"state": [0, 0, 1]}: R(s, a, s') = r[s].
  assert.deepEqual(Array.from(f.rewards[3].subarray(12)), [1, 1, 1, 1, 1, 1]);
  assert.equal(f.rewards[3][0], 0);
});

test('the shipped gridworld: task, shaped (distance 0), negated (distance 2)', async () => {
  const f = await loadRewardsFile(path.join(EXAMPLES, 'gridworld.rewards.json'));
  assert.deepEqual(f.names, ['task', 'shaped', 'negated', 'corner']);
  assert.equal(f.grid?.cells.length, 11);
  const d = (i: number, j: number) => starcDistance(f.mdp, f.rewards[i], f.rewards[j], { canon: 'val', norm: '2', metric: '2' });
  assert.ok(d(0, 1) < 1e-9);
  assert.ok(Math.abs(d(0, 2) - 2) < 1e-9);
  assert.ok(d(0, 3) > 0.1);
});

test('stateAction rewards and comments / trailing commas', async () => {
  const f = await parseRewardsText(`{
    // comment
    "discount": 0.5,
    "transitions": [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],
    "rewards": {"sa": {"stateAction": [[1, 2], [3, 4]]},},
  }`);
  assert.deepEqual(Array.from(f.rewards[0]), [1, 1, 2, 2, 3, 3, 4, 4]);
});

async function expectError(text: string, check: { pointer?: string; line?: number; message: RegExp }) {
  await assert.rejects(parseRewardsText(text, { file: 'x.rewards.json' }), (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.match(e.message, check.message);
    if (check.pointer !== undefined) assert.equal(e.pointer, check.pointer);
    if (check.line !== undefined) assert.equal(e.line, check.line);
    assert.equal(e.file, 'x.rewards.json');
    return true;
  });
}

test('errors carry pointer and line:column', async () => {
  await expectError('{"discount": 0.9,\n "transitions": [[[1, 0]]', { line: 2, message: /invalid JSON/ });
  await expectError('{\n"discount": 0.9,\n"transitions": [[[0.5, 0.4], [0, 1]],\n [[0, 1], [1, 0]]],\n"rewards": {"r": [[[0,0],[0,0]],[[0,0],[0,0]]]}}', {
    pointer: '/transitions/0/0',
    line: 3,
    message: /state 0 under action 0 sum to 0\.9/,
  });
  await expectError('{"discount": 1,\n"transitions": [[[1]]], "rewards": {"r": [[[0]]]}}', { pointer: '/discount', line: 1, message: /\[0, 1\)/ });
  await expectError('{"discount": 0.9,\n"transitions": [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],\n"rewards": {\n"r": [[[0, 0]], [[0, 0]]]}}', {
    pointer: '/rewards/r',
    line: 4,
    message: /reward must have shape \[2\]\[2\]\[2\], got \[2\]\[1\]\[2\]/,
  });
  await expectError('{"discount": 0.9,\n"transitions": [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],\n"rewards": {\n"r": [[[0, 0], [0, 0]],\n [[0, 0]]]}}', {
    pointer: '/rewards/r/1',
    line: 5,
    message: /expected 2 entries like its siblings, got 1/,
  });
  await expectError('{"discount": 0.9, "transitions": [[[1]]], "rewards": {"a": {"of": "b"}}}', { pointer: '/rewards/a/of', message: /defined above/ });
  await expectError('{"discount": 0.9, "transitions": [[[1]]], "rewards": {"a": {"state": [1], "scale": 2}}}', { pointer: '/rewards/a/scale', message: /unexpected field/ });
  await expectError('{"discount": 0.9, "transitions": [[[1]]], "rewward": {}}', { pointer: '/rewward', message: /unknown field/ });
  await expectError('{"discount": 0.9, "transitions": [[[1]]]}', { message: /no rewards/ });
  await expectError('{"discount": 0.9, "gridworld": {"width": 2, "height": 1, "actions": 8}, "rewards": {"a": {"state": [1, 0]}}}', { pointer: '/gridworld/actions', message: /4 actions/ });
  await expectError('{"discount": 0.9, "gridworld": {"width": 2, "height": 1, "goal": [[1, 0, 1]]}, "rewards": {"task": {"state": [1, 0]}}}', { pointer: '/rewards/task', message: /used twice/ });
});

test('a missing file is a user error naming the file', async () => {
  await assert.rejects(loadRewardsFile('/nonexistent/x.rewards.json'), (e: unknown) => e instanceof UserError && e.format().startsWith('/nonexistent/x.rewards.json: file not found'));
});

test('checkRewardsText: the first problem placed on its field, nothing for a good file, models looked for but not loaded', async () => {
  const { checkRewardsText } = await import('../../../src/core/reward/rewardsFile');
  const { readFileSync } = await import('node:fs');
  const good = path.join(EXAMPLES, 'gridworld.rewards.json');
  assert.deepEqual(await checkRewardsText(readFileSync(good, 'utf8'), good), []);
  const text = `{
  "discount": 0.9,
  "transitions": [[[0.5, 0.6]], [[0, 1]]],
  "rewards": { "r": { "state": [1, 2] } }
}`;
  const [d] = await checkRewardsText(text);
  assert.equal(d.pointer, '/transitions/0/0');
  assert.match(d.message, /sum to 1/);
  assert.equal(text.slice(d.start, d.end), '[0.5, 0.6]');
  assert.equal(d.line, 3);
  const json = await checkRewardsText('{\n  "discount": 0.9,\n  "rewards": {,\n}');
  assert.equal(json.length, 1);
  assert.match(json[0].message, /invalid JSON/);
  assert.equal(json[0].line, 3);
  // A learned reward: its model file must exist next to the rewards file; TensorFlow.js is not loaded.
  const learned = (model: string) => `{"discount": 0.5, "transitions": [[[1]]], "rewards": {"m": {"model": "${model}"}}}`;
  const missing = await checkRewardsText(learned('nope/model.json'), path.join(EXAMPLES, 'x.rewards.json'));
  assert.equal(missing[0].pointer, '/rewards/m/model');
  assert.match(missing[0].message, /model "nope\/model\.json": file not found/);
  assert.deepEqual(await checkRewardsText(learned('gridworld.rewards.json'), path.join(EXAMPLES, 'x.rewards.json')), []);
  assert.deepEqual(await checkRewardsText(learned('nope/model.json')), [], 'no folder: the path cannot be checked');
  // A long table is not underlined whole: its name is.
  const wide = `{"discount": 0.5, "transitions": [[[1]]], "rewards": {"big": [[[${Array(60).fill('1').join(', ')}]]]}}`;
  const [shape] = await checkRewardsText(wide);
  assert.equal(wide.slice(shape.start, shape.end), '"big"');
});
