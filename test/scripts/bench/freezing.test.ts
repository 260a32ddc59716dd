import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { meanRows, report } from '../../../scripts/bench/freezing';

const row = (pair: string, policy: string, accuracy: number, cpuSeconds: number, backwardSaved = 0) => ({
  pair, policy, accuracy, trainSeconds: cpuSeconds, cpuSeconds, backwardSaved, forwardSaved: 0, freezes: '',
});

// Two seeds of one pair: SmartFRZ loses 0.70 points on the second seed and gains 0.30 on the first.
const rows = [
  row('p', 'none', 0.8, 10), row('p', 'linear', 0.79, 8, 0.4), row('p', 'autofreeze', 0.75, 3, 0.9), { ...row('p', 'smartfrz', 0.803, 7, 0.3), trainingSaved: 0.2 },
  row('p#2', 'none', 0.81, 12), row('p#2', 'linear', 0.8, 9, 0.4), row('p#2', 'autofreeze', 0.76, 4, 0.9), { ...row('p#2', 'smartfrz', 0.803, 6, 0.3), trainingSaved: 0.3 },
];

test('each pair gets its mean over seeds beside the per-seed rows, which stay', () => {
  const { lines, smartfrz } = report(['p', 'p#2'], rows);
  assert.equal(lines.filter((l) => l.startsWith('| p | ') || l.startsWith('| p#2 | ')).length, 8, 'every per-seed row');
  const means = lines.filter((l) => l.includes('(mean of 2 seeds)'));
  assert.equal(means.length, 4, 'one mean row per policy');
  assert.ok(lines.indexOf(means[0]) > lines.findIndex((l) => l.startsWith('| p#2 | ')), 'after the last seed');
  const s = means.find((l) => l.includes('| smartfrz |'))!;
  // mean accuracy 80.30%, mean delta (0.30 - 0.70) / 2 = -0.20, CPU saved mean(30%, 50%) = 40%.
  assert.match(s, /\| 80\.30% \| -0\.20 \|/);
  // Backward FLOPs 30%, training FLOPs (forward + backward) mean(20%, 30%) = 25%.
  assert.match(s, /\/ 40\.0% \| 30\.0% \/ 25\.0% \|/);
  assert.match(means.find((l) => l.includes('| linear |'))!, /\| 40\.0% \/ — \|/, 'rows saved before round 9 have no training FLOPs');
  // Line through the means: linear (0.708 of none's CPU, 79.5%), autofreeze (0.317, 75.5%); at 0.6 the line is ~78.4%.
  assert.match(s, /\| yes \/ yes \/ yes \|$/);
  assert.equal(smartfrz.length, 2, 'the verdicts stay per seed');
});

test('a single seed prints no mean rows', () => {
  assert.equal(report(['p'], rows.slice(0, 4)).lines.filter((l) => l.includes('mean of')).length, 0);
  assert.deepEqual(meanRows('p', ['p', 'p#2'], []), []);
});
