import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { rewardsCommand } from '../../src/cli/rewards';
import type { CliIO } from '../../src/cli/io';

/** `rewards regret-correlation --regret exact|monte-carlo` (the Monte-Carlo mode's CLI surface). */
function fakeIO() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), isTTY: false, signal: new AbortController().signal, cwd: path.join(__dirname, '../..') };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

const small = ['--mdps', '2', '--pairs', '2', '--steps', '3', '--seed', '5'];

test('--regret monte-carlo: settings in the JSON document, reproducible, different from exact', async () => {
  const run = async (extra: string[]) => {
    const { io, out } = fakeIO();
    assert.equal(await rewardsCommand(['regret-correlation', ...small, ...extra, '--json'], io), 0);
    return JSON.parse(out());
  };
  const exact = await run([]);
  const mc = await run(['--regret', 'monte-carlo', '--episodes', '4', '--horizon', '60']);
  const again = await run(['--regret', 'monte-carlo', '--episodes', '4', '--horizon', '60']);
  assert.equal(exact.settings.regret, 'exact');
  assert.equal(mc.settings.regret, 'monte-carlo');
  assert.equal(mc.settings.episodes, 4);
  assert.equal(mc.settings.horizon, 60);
  assert.equal(mc.samples, exact.samples);
  assert.deepEqual(mc.rows, again.rows);
  assert.notDeepEqual(mc.rows, exact.rows);
});

test('--regret: the human output says how regret was computed; bad values exit 2 naming the flag', async () => {
  const a = fakeIO();
  assert.equal(await rewardsCommand(['regret-correlation', ...small, '--regret', 'monte-carlo', '--episodes', '2'], a.io), 0);
  assert.match(a.out(), /regret from Monte-Carlo returns: 2 episodes x 224 steps per estimate\n/);
  const c = fakeIO();
  assert.equal(await rewardsCommand(['regret-correlation', ...small, '--regret', 'monte-carlo', '--episodes', '2', '--clamp-regret'], c.io), 0);
  assert.match(c.out(), /2 episodes x 224 steps per estimate, clamped to \[0, 1\]/);
  for (const [flag, value] of [['--regret', 'sampled'], ['--episodes', '0'], ['--horizon', 'x']]) {
    const b = fakeIO();
    assert.equal(await rewardsCommand(['regret-correlation', ...small, '--regret', 'monte-carlo', flag, value], b.io), 2);
    assert.match(b.err(), new RegExp(`${flag}: `));
  }
});
