import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { loadRewardsFile } from '../../../src/core/reward/rewardsFile';
import { pairwiseDistances, stateActionDifference } from '../../../src/core/reward/starc';
import { ComputeError, RewardsEngine, SupersededError } from '../../../src/vscode/rewards/rewardsEngine';
import type { CompareSettings } from '../../../src/vscode/rewards/messages';

const REPO = path.resolve(__dirname, '../../..');
const GRIDWORLD = path.join(REPO, 'examples/rewards/gridworld.rewards.json');
const text = readFileSync(GRIDWORLD, 'utf8');
/**
 * The worker bundled as scripts/build.mjs bundles node entries (worker threads cannot load
 * TypeScript through tsx), into a temporary folder so the test does not depend on dist/.
 */
let workerScript: Promise<string> | undefined;
function bundledWorker(): Promise<string> {
  workerScript ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rewards-worker-'));
    await esbuild.build({
      entryPoints: { rewardsWorker: path.join(REPO, 'src/vscode/rewards/rewardsWorker.ts') },
      bundle: true, platform: 'node', target: 'node20', format: 'cjs', outdir: dir, mainFields: ['module', 'main'],
      external: ['vscode', '@tensorflow/tfjs-node'], logLevel: 'error',
    });
    return path.join(dir, 'rewardsWorker.js');
  })();
  return workerScript;
}

test('the worker computes the same matrix and difference as the core, and keeps the parsed file', async () => {
  const engine = new RewardsEngine({ workerScript: await bundledWorker() });
  try {
    const settings: CompareSettings = { canon: 'epic', norm: '2', metric: '1' };
    const content = await loadRewardsFile(GRIDWORLD);
    const expected = pairwiseDistances(content.mdp, content.rewards, settings);
    const m = await engine.matrix({ file: GRIDWORLD, text, settings });
    assert.deepEqual(m.result.names, content.names);
    assert.deepEqual(m.result.matrix, expected.matrix);
    assert.equal(m.result.stateLabels.length, content.mdp.nStates);
    assert.deepEqual(m.result.actionLabels, ['up', 'down', 'left', 'right']);
    const d = await engine.difference({ file: GRIDWORLD, text, settings, row: 0, col: 2 });
    assert.deepEqual(Array.from(d.result.values), Array.from(stateActionDifference(content.mdp, content.rewards[0], content.rewards[2], 'epic', '2')));
  } finally {
    engine.dispose();
  }
});

test('a bad file is a ComputeError carrying the UserError line and pointer', async () => {
  const engine = new RewardsEngine({ workerScript: await bundledWorker() });
  try {
    const bad = text.replace('"slip": 0.2', '"slip": 2');
    await assert.rejects(engine.matrix({ file: GRIDWORLD, text: bad, settings: { canon: 'val', norm: '2', metric: '2' } }), (e: unknown) => {
      assert.ok(e instanceof ComputeError);
      assert.equal(e.info.user, true);
      assert.equal(e.info.pointer, '/gridworld/slip');
      const line = bad.split('\n').findIndex((l) => l.includes('"slip": 2')) + 1;
      assert.equal(e.info.line, line);
      return true;
    });
  } finally {
    engine.dispose();
  }
});

test('a newer matrix request supersedes a running one, and the worker still answers afterwards', async () => {
  const engine = new RewardsEngine({ workerScript: await bundledWorker() });
  try {
    const first = engine.matrix({ file: GRIDWORLD, text, settings: { canon: 'dard', norm: '2', metric: '2' } });
    const second = engine.matrix({ file: GRIDWORLD, text, settings: { canon: 'val', norm: '1', metric: '1' } });
    await assert.rejects(first, SupersededError);
    const r = await second;
    assert.ok(r.result.matrix[0][1] < 1e-9, 'task and its shaped copy are at distance 0');
  } finally {
    engine.dispose();
  }
});

test('a missing worker bundle is a clear internal error, not a crash', async () => {
  const engine = new RewardsEngine({ workerScript: path.join(REPO, 'dist', 'no-such-worker.js') });
  engine.warmUp();
  await assert.rejects(engine.matrix({ file: GRIDWORLD, text, settings: { canon: 'val', norm: '2', metric: '2' } }), (e: unknown) => {
    assert.ok(e instanceof ComputeError);
    assert.equal(e.info.user, false);
    assert.match(e.message, /no-such-worker\.js is missing/);
    return true;
  });
  engine.dispose();
});
