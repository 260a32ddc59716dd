import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rewardsCommand } from '../../src/cli/rewards';
import type { CliIO } from '../../src/cli/io';

const ROOT = path.join(__dirname, '../..');

function fakeIO(opts: { isTTY?: boolean; signal?: AbortSignal } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    isTTY: opts.isTTY ?? false,
    signal: opts.signal ?? new AbortController().signal,
    cwd: ROOT,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

test('distance --json: one document with names, settings, matrix and trivial rewards', async () => {
  const { io, out } = fakeIO();
  const code = await rewardsCommand(['distance', 'examples/rewards/worked-example.rewards.json', '--canon', 'epic', '--norm', '2', '--metric', '2', '--json'], io);
  assert.equal(code, 0);
  const doc = JSON.parse(out());
  assert.deepEqual(doc.names, ['R1', 'R2', 'R1-shaped', 'in-state-2']);
  assert.equal(doc.canon, 'epic');
  assert.equal(doc.norm, '2');
  assert.equal(doc.metric, '2');
  assert.ok(Math.abs(doc.matrix[0][1] - 0.6252512112) < 1e-9);
  assert.ok(doc.matrix[0][2] < 1e-9);
  assert.deepEqual(doc.trivial, []);
});

test('distance: defaults (val, 2, 2), human table, and trivial rewards listed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rewards-cli-'));
  try {
    const file = path.join(dir, 'c.rewards.json');
    writeFileSync(file, JSON.stringify({
      discount: 0.9,
      transitions: [[[0.5, 0.5], [0, 1]], [[1, 0], [0.3, 0.7]]],
      rewards: { constant: { state: [2, 2] }, r: { stateAction: [[1, 0], [0, 2]] } },
    }));
    const { io, out } = fakeIO();
    assert.equal(await rewardsCommand(['distance', file], io), 0);
    assert.match(out(), /canonicalisation val, normalisation 2, metric 2/);
    assert.match(out(), /trivial \(potential shaping plus a constant; canonicalised to zero\): constant/);
    const j = fakeIO();
    await rewardsCommand(['distance', file, '--json'], j.io);
    const doc = JSON.parse(j.out());
    assert.deepEqual(doc.trivial, ['constant']);
    assert.ok(Math.abs(doc.matrix[0][1] - 1) < 1e-12);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: exit 2 with one line naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['distance', 'examples/rewards/gridworld.rewards.json', '--canon', 'bogus'], /--canon: unknown canonicalisation "bogus"/],
    [['distance', 'examples/rewards/gridworld.rewards.json', '--norm', '3'], /--norm: unknown norm "3"/],
    [['distance', 'examples/rewards/gridworld.rewards.json', '--metric', 'none'], /--metric: "none" is not a metric/],
    [['distance', 'nope.rewards.json'], /nope\.rewards\.json: file not found/],
    [['distance'], /expected one rewards file/],
    [['distance', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['regret-correlation', '--mdps', 'many'], /--mdps: expected an integer >= 1, got "many"/],
    [['regret-correlation', '--steps', '0'], /--steps: expected an integer >= 1/],
    [['wat'], /unknown subcommand "wat"/],
  ];
  for (const [argv, message] of cases) {
    const { io, err, out } = fakeIO();
    assert.equal(await rewardsCommand(argv, io), 2, argv.join(' '));
    assert.match(err(), message);
    assert.equal(err().trim().split('\n').length, 1, err());
    assert.equal(out(), '');
  }
});

test('regret-correlation --json: sorted rows for every combination; progress on stderr', async () => {
  const { io, out, err } = fakeIO({ isTTY: true });
  const code = await rewardsCommand(['regret-correlation', '--mdps', '2', '--pairs', '2', '--steps', '4', '--seed', '3', '--json'], io);
  assert.equal(code, 0);
  const doc = JSON.parse(out());
  assert.equal(doc.samples, 16);
  assert.equal(doc.rows.length, 210);
  assert.deepEqual(Object.keys(doc.rows[0]).sort(), ['canon', 'correlation', 'metric', 'norm']);
  assert.equal(doc.settings.seed, 3);
  assert.ok(err().includes('\r['), 'TTY progress bar redraws with \\r');
  assert.ok(err().includes('16/16 samples'));
});

test('regret-correlation: human table; cancelled via the signal exits 130 with partial results', async () => {
  const controller = new AbortController();
  controller.abort();
  const { io, out, err } = fakeIO({ signal: controller.signal });
  const code = await rewardsCommand(['regret-correlation', '--mdps', '2', '--pairs', '2', '--steps', '4'], io);
  assert.equal(code, 130);
  assert.match(err(), /stopped: correlations below cover 0 samples/);
  assert.match(out(), /rank\s+canon\s+norm\s+metric\s+correlation/);
});
