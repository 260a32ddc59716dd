import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../../src/core/errors';
import { fourCorners, kMeans, meanRewardNear, parseTransitions } from '../../../src/core/diffusion/policy/dataset';
import { bestMode, modeMetrics } from '../../../src/core/diffusion/policy/metrics';

describe('policy datasets', () => {
  it('four-corners: 10,000 actions, a quarter per mode around (±0.8, ±0.8) with std ~0.05, inside [-1, 1]; rewards by mode; fixed state', () => {
    const d = fourCorners({ seed: 3 });
    assert.equal(d.size, 10000);
    assert.equal(d.stateDim, 2);
    assert.ok(d.states.every((v) => v === 0));
    assert.ok(d.actions.every((v) => v >= -1 && v <= 1));
    const m = modeMetrics(d.actions, 2, d.modes, 0.2);
    assert.ok(m.onMode > 0.999, `data on its own modes: ${m.onMode}`);
    for (const s of m.modeShares) assert.ok(Math.abs(s - 0.25) < 0.001);
    for (const mode of d.modes) {
      const r = meanRewardNear(d.actions, d.rewards, 2, mode.action, 0.2);
      assert.ok(Math.abs(r - mode.reward) < 0.05, `mean reward near ${mode.label}: ${r} vs ${mode.reward}`);
    }
    assert.equal(d.modes[bestMode(d.modes)].label, 'bottom-right');
    // Per-mode spread: std of the x coordinate of the first mode's points.
    const xs = Array.from({ length: 2500 }, (_, i) => d.actions[i * 2]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean + 0.8) < 0.01 && Math.abs(std - 0.05) < 0.005, `mode 0: mean ${mean}, std ${std}`);
    assert.deepEqual(fourCorners({ seed: 3 }).actions.slice(0, 20), d.actions.slice(0, 20), 'same seed, same data');
    assert.notDeepEqual(fourCorners({ seed: 4 }).actions.slice(0, 20), d.actions.slice(0, 20));
  });

  it('a transitions file: bandit or multi-step, modes given or found by k-means, mode rewards from the data', () => {
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ state: [0], action: [0.5 + 0.01 * (i % 3), 0.5], reward: 1 })),
      ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ state: [0], action: [-0.5, -0.5 - 0.01 * (i % 3)], reward: 3 })),
    ];
    const given = parseTransitions(lines.join('\n') + '\n\n', 'data.jsonl', { modes: [[0.5, 0.5], [-0.5, -0.5]] });
    assert.equal(given.size, 40);
    assert.equal(given.nextStates, undefined);
    assert.deepEqual(given.modes.map((m) => m.reward), [1, 3]);
    assert.ok(Math.abs(given.maxAction - 0.52) < 1e-6, 'action bound from the data');
    const found = parseTransitions(lines.join('\n'), 'data.jsonl', { modes: 2, seed: 1 });
    const centres = found.modes.map((m) => m.action.map((v) => Math.round(v * 10) / 10)).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(centres, [[-0.5, -0.5], [0.5, 0.5]]);
    const multi = parseTransitions(
      [
        JSON.stringify({ state: [0, 1], action: [1], reward: 0, nextState: [1, 1], done: false }),
        JSON.stringify({ state: [1, 1], action: [-1], reward: 1, nextState: [2, 1], done: true }),
      ].join('\n'),
      'm.jsonl',
      { modes: [[1], [-1]] },
    );
    assert.deepEqual(Array.from(multi.notDones!), [1, 0]);
    assert.deepEqual(Array.from(multi.nextStates!), [1, 1, 2, 1]);
  });

  it('a bad transitions file is a UserError naming the file and line', () => {
    const bad = (text: string, re: RegExp, line?: number) => {
      try {
        parseTransitions(text, 'bad.jsonl', { modes: 1 });
        assert.fail('expected an error');
      } catch (e) {
        assert.ok(e instanceof UserError, String(e));
        assert.match(e.message, re);
        assert.equal(e.file, 'bad.jsonl');
        if (line !== undefined) assert.equal(e.line, line);
      }
    };
    const ok = JSON.stringify({ state: [0], action: [1, 2], reward: 1 });
    bad(`${ok}\n{"state": [0], "action": [1], "reward": 1}`, /"action" has 1 values, line 1 has 2/, 2);
    bad(`${ok}\n\n{"state": [0], "action": [1, 2]}`, /missing "reward"/, 3);
    bad(`${ok}\n{"state": [0], "action": [1, "x"], "reward": 1}`, /finite numbers/, 2);
    bad(`${ok}\n{not json`, /not valid JSON/, 2);
    bad(`${ok}\n${JSON.stringify({ state: [0], action: [1, 2], reward: 1, nextState: [1] })}`, /on every line or on none/, 2);
    bad('\n\n', /no transitions/);
    assert.throws(() => parseTransitions(ok, 'f.jsonl', {}), /needs "modes"/);
  });

  it('mode metrics: on-mode and per-mode shares, best-mode share, expected reward (0 off the modes)', () => {
    const modes = [{ action: [0, 0], reward: 1 }, { action: [1, 1], reward: 5 }];
    const samples = [0, 0.1, 1, 1, 0.95, 1.05, 0.5, 0.5];
    const m = modeMetrics(samples, 2, modes, 0.2);
    assert.equal(m.onMode, 0.75);
    assert.deepEqual(m.modeShares, [0.25, 0.5]);
    assert.equal(m.bestModeShare, 0.5);
    assert.equal(m.expectedReward, (1 + 5 + 5) / 4);
  });

  it('k-means separates well-separated clusters whatever the seed', () => {
    const pts = [0, 0, 0.1, 0, 0, 0.1, 5, 5, 5.1, 5, 5, 5.1, -5, 5, -5.1, 5];
    for (const seed of [0, 1, 2, 3]) {
      const c = kMeans(Float32Array.from(pts), 2, 3, seed).map((p) => p.map(Math.round).join(',')).sort();
      assert.deepEqual(c, ['-5,5', '0,0', '5,5']);
    }
  });
});
