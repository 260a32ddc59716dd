import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '../../../src/core/errors';
import { checkComparisonSize, estimateComparison, formatBytes, formatSeconds, SOFT_LIMIT, type ComparisonSize } from '../../../src/core/reward/estimate';
import { parseRewardsText } from '../../../src/core/reward/rewardsFile';

const GB = 2 ** 30;
const grid = (width: number, rewards: number): ComparisonSize => ({
  states: width * width, actions: 4, rewards, learned: 0, nonZeros: width * width * 12, bandwidth: width, textLength: 500,
});
const settings = { canon: 'val', norm: '2', metric: '2' } as const;

test('the estimate counts the S*A*S arrays: transitions and every reward, plus what the canonicalisation keeps', () => {
  // The issue's case: a 100 x 100 gridworld, 3.2 GB per (s, a, s') array.
  const size = grid(100, 4);
  const N = 10_000 * 4 * 10_000;
  const val = estimateComparison(size, settings);
  // T and four rewards, and VAL's S x S matrix and its LU factors.
  assert.ok(val.bytes >= 8 * N * 5 + 16 * 10_000 ** 2 && val.bytes < 8 * N * 5 + 16 * 10_000 ** 2 + GB / 2, `${formatBytes(val.bytes)}`);
  // EPIC keeps a full canonical array per reward; VAL only S*A values.
  const epic = estimateComparison(size, { ...settings, canon: 'epic' });
  assert.ok(epic.bytes > val.bytes + 8 * N * 3);
  // Work grows with the rewards and the states.
  assert.ok(estimateComparison(grid(100, 8), settings).seconds > val.seconds);
  assert.ok(estimateComparison(grid(50, 4), settings).seconds < val.seconds / 8);
  // A dense MDP makes DARD cubic in S: far slower than on a sparse one of the same size.
  const dense = { ...grid(30, 4), nonZeros: 900 * 4 * 900, bandwidth: 899 };
  assert.ok(estimateComparison(dense, { ...settings, canon: 'dard' }).seconds > 10 * estimateComparison(grid(30, 4), { ...settings, canon: 'dard' }).seconds);
  // Many rewards: the pairwise stage is quadratic in their number.
  const many = estimateComparison(grid(12, 2000), { ...settings, canon: 'none' });
  const fewer = estimateComparison(grid(12, 1000), { ...settings, canon: 'none' });
  assert.ok(many.seconds > 3 * fewer.seconds);
});

test('limits: small is ok, above the soft limit asks, in Restricted Mode refuses, above half the memory refuses', () => {
  const memory = 24 * GB;
  assert.deepEqual(checkComparisonSize(grid(4, 4), settings, { totalMemoryBytes: memory }).large, false);
  const large = checkComparisonSize(grid(50, 4), { ...settings, canon: 'epic' }, { totalMemoryBytes: memory });
  assert.equal(large.large, true);
  assert.ok(large.estimate.bytes > SOFT_LIMIT.bytes);
  assert.throws(() => checkComparisonSize(grid(50, 4), { ...settings, canon: 'epic' }, { totalMemoryBytes: memory, restricted: true, file: 'g.rewards.json' }), (e: unknown) => {
    assert.ok(isUserError(e));
    assert.equal(e.file, 'g.rewards.json');
    assert.match(e.message, /^comparing 4 rewards on 2500 states x 4 actions \(epic\) needs about 1\.\d GB of memory and .*; Restricted Mode runs only comparisons under 1\.0 GB and 15 s: trust the workspace to run it$/);
    return true;
  });
  assert.throws(() => checkComparisonSize(grid(100, 4), settings, { totalMemoryBytes: memory }), (e: unknown) => {
    assert.ok(isUserError(e));
    assert.match(e.message, /^comparing 4 rewards on 10000 states x 4 actions \(val\) needs about \d+ GB of memory and .*, more than half of this machine's 24 GB: use fewer states or rewards$/);
    return true;
  });
  // The same comparison fits a machine with four times the memory.
  assert.equal(checkComparisonSize(grid(100, 4), settings, { totalMemoryBytes: 4 * memory }).large, true);
  // Absurd sizes are refused, not overflowed.
  assert.throws(() => checkComparisonSize(grid(1e6, 4), settings, { totalMemoryBytes: memory }), /more than half/);
});

test('the loader reports the size before building anything: a 1,000,000-state gridworld is refused at once', async () => {
  const text = JSON.stringify({ discount: 0.9, gridworld: { width: 1000, height: 1000, walls: [[0, 0], [0, 0], [5, 5]], goal: [[999, 0, 1]] }, rewards: { r: { of: 'task', scale: 2 } } });
  const sizes: ComparisonSize[] = [];
  await assert.rejects(
    parseRewardsText(text, {
      checkSize: (size) => {
        sizes.push(size);
        checkComparisonSize(size, settings, { totalMemoryBytes: 24 * GB });
      },
    }),
    /more than half of this machine's 24 GB/,
  );
  assert.deepEqual(sizes.map((s) => [s.states, s.actions, s.rewards, s.bandwidth]), [[1000 * 1000 - 2, 4, 2, 1000]]);
  // An explicit MDP: its non-zeros and band are counted.
  const explicit = await parseRewardsText(JSON.stringify({ discount: 0.5, transitions: [[[1, 0, 0]], [[0, 0.5, 0.5]], [[0, 0, 1]]], rewards: { a: { state: [1, 2, 3] } } }));
  assert.deepEqual({ ...explicit.size, textLength: 0 }, { states: 3, actions: 1, rewards: 1, learned: 0, nonZeros: 4, bandwidth: 1, textLength: 0 });
});

test('estimates read as people say them', () => {
  assert.equal(formatBytes(5.2 * GB), '5.2 GB');
  assert.equal(formatBytes(300 * 2 ** 20), '300 MB');
  assert.equal(formatSeconds(0.2), 'under a second');
  assert.equal(formatSeconds(46), '46 s');
  assert.equal(formatSeconds(600), '10 min');
  assert.equal(formatSeconds(7200), '2.0 h');
});
