import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/train/events';
import { GRID_FILE, gridPngFile, POLICY_CHAIN_FILE, POLICY_SAMPLES_FILE } from '../../src/core/diffusion/runFiles';
import type { JobSink } from '../../src/runner/job';
import { runJob } from '../../src/runner/runJob';
import * as store from '../../src/runner/runStore';
import type { DiffusionPolicySummary, DiffusionSummary } from '../../src/runner/summary';
import { pickByRule } from '../../src/core/diffusion/generation/validation';

/**
 * The diffusion lab's kinds through the runner: run record, events, files for the panel, summary;
 * a run stopped within a step and resumed ends with exactly the numbers of a run never stopped.
 * The settings are tiny (seconds of CPU): the numbers are not the study's, the mechanics are.
 */

function sink(events: RunEvent[]): JobSink {
  return { event: (e) => events.push(e), log: () => undefined };
}

function workspace(): string {
  return mkdtempSync(path.join(tmpdir(), 'ml-diffusion-'));
}

function write(dir: string, name: string, experiment: object): string {
  const file = path.join(dir, `${name}.experiment.json`);
  writeFileSync(file, JSON.stringify({ name, ...experiment }));
  return file;
}

/** The measurements of a summary (what differs between two runs of one experiment: ids and folders). */
function measured(s: object): object {
  const { runId: _r, runDir: _d, status: _s, ...rest } = s as Record<string, unknown>;
  return rest;
}

/** Stops once the session has reported a step past `step` (a stop within the plan, not at its end). */
function stopAfter(events: RunEvent[], step: number): () => boolean {
  return () => events.some((e) => e.type === 'progress' && e.fraction > 0 && e.fraction < 1 && /step (\d+)/.test(e.message) && Number(/step (\d+)/.exec(e.message)![1]) >= step);
}

const QL = {
  kind: 'diffusion-policy',
  dataset: { toy: 'four-corners', size: 400 },
  policy: 'diffusion',
  objective: 'ql',
  diffusion: { steps: 5 },
  training: { steps: 60, warmupSteps: 20, batchSize: 32, hidden: 32, checkpointEvery: 25 },
  evaluation: { samples: 200, every: 30, chainSamples: 16 },
};

test('diffusion-policy (Diffusion-QL) through the runner: stopped mid-QL and resumed, it ends where an unstopped run ends', async () => {
  const dir = workspace();
  try {
    const file = write(dir, 'ql', QL);
    const straight = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink([]), () => false)) as DiffusionPolicySummary;
    assert.equal(straight.status, 'completed');
    assert.equal(straight.kind, 'diffusion-policy');
    // The summary shape: shares are fractions, one per mode of the toy.
    assert.equal(straight.modeShares?.length, 4);
    for (const x of [straight.onMode!, straight.bestModeShare!, ...straight.modeShares!]) assert.ok(x >= 0 && x <= 1, `${x} is a fraction`);
    assert.ok(Math.abs(straight.modeShares!.reduce((a, b) => a + b, 0) - straight.onMode!) < 1e-9, 'on a mode = the sum of the mode shares');
    assert.equal(straight.bestModeShare, straight.modeShares![3], 'the best-reward mode is bottom-right');
    assert.ok(Number.isFinite(straight.expectedReward));

    const events: RunEvent[] = [];
    const stopped = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), stopAfter(events, 41))) as DiffusionPolicySummary;
    assert.equal(stopped.status, 'cancelled');
    assert.equal((await store.readRunRecord(stopped.runDir))?.status, 'cancelled');
    const saved = events.filter((e): e is Extract<RunEvent, { type: 'checkpoint' }> => e.type === 'checkpoint').map((e) => e.step);
    assert.ok(saved.length >= 2 && saved[saved.length - 1] > 25 && saved[saved.length - 1] < 60, `checkpoints at 25 and where it stopped: ${saved}`);
    assert.equal(stopped.onMode, events.filter((e) => e.type === 'diffusion-eval').at(-1)?.metrics.onMode, 'a stopped run reports its last measurement');

    const resumedEvents: RunEvent[] = [];
    const resumed = (await runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink(resumedEvents), () => false)) as DiffusionPolicySummary;
    assert.equal(resumed.status, 'completed');
    assert.equal(resumedEvents.find((e) => e.type === 'diffusion-start')?.resumedAt, saved[saved.length - 1]);
    assert.deepEqual(measured(resumed), measured(straight));
    const record = await store.readRunRecord(resumed.runDir);
    assert.equal(record?.status, 'completed');
    assert.deepEqual(record?.score, { name: 'best-mode share', value: resumed.bestModeShare });
    assert.deepEqual(await store.readSummary(resumed.runDir), resumed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diffusion-policy leaves the data, the samples and the reverse chain for the panel', async () => {
  const dir = workspace();
  try {
    const file = write(dir, 'bc', { ...QL, objective: 'bc', training: { steps: 30, batchSize: 32, hidden: 32 }, diffusion: { steps: 8 } });
    const events: RunEvent[] = [];
    const done = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), () => false)) as DiffusionPolicySummary;
    assert.equal(done.status, 'completed');
    const samples = JSON.parse(readFileSync(path.join(done.runDir, POLICY_SAMPLES_FILE), 'utf8'));
    assert.equal(samples.actionDim, 2);
    assert.equal(samples.samples.length, 2 * 200);
    assert.equal(samples.data.length, 2 * 400);
    assert.deepEqual(samples.modes.map((m: { label: string }) => m.label), ['top-left', 'bottom-left', 'top-right', 'bottom-right']);
    const chain = JSON.parse(readFileSync(path.join(done.runDir, POLICY_CHAIN_FILE), 'utf8'));
    // x_T, then one state per reverse step T-1 .. 0.
    assert.deepEqual(chain.timesteps, [-1, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.ok(chain.states.every((s: number[]) => s.length === 2 * 16));
    const final = events.filter((e) => e.type === 'diffusion-eval' && e.final);
    assert.equal(final.length, 1);
    assert.deepEqual(events.filter((e) => e.type === 'diffusion-artifact').map((e) => e.type === 'diffusion-artifact' && e.what), ['samples', 'chain']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diffusion-policy on a transitions file with a bad line fails in the run store, at the file and line', async () => {
  const dir = workspace();
  try {
    writeFileSync(path.join(dir, 'data.jsonl'), '{"state":[0],"action":[0.5,0.5],"reward":1}\n{"state":[0],"action":[0.5],"reward":1}\n');
    const file = write(dir, 'bad', { kind: 'diffusion-policy', dataset: { file: 'data.jsonl', modes: 1 }, policy: 'gaussian', objective: 'bc' });
    await assert.rejects(runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink([]), () => false), /"action" has 1 values, line 1 has 2/);
    const runs = await store.listRuns(path.join(dir, 'runs'));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, 'failed');
    assert.equal(runs[0].error?.file, path.join(dir, 'data.jsonl'));
    assert.equal(runs[0].error?.line, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diffusion-policy on a maze dataset from the RL lab generator: trains, rolls the policy out and reports goal reaching', async () => {
  const dir = workspace();
  try {
    const file = write(dir, 'maze', {
      kind: 'diffusion-policy', policy: 'deterministic', objective: 'ql',
      dataset: { maze: { layout: ['#######', '#.....#', '#.###.#', '#.....#', '#######'] }, goal: [3, 5], trajectories: 10, length: 30 },
      training: { steps: 40, batchSize: 32, hidden: 16 }, evaluation: { samples: 100, every: 20 },
    });
    const events: RunEvent[] = [];
    const done = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), () => false)) as DiffusionPolicySummary;
    assert.equal(done.status, 'completed');
    assert.equal(done.modeShares?.length, 4, 'four k-means modes: the headings');
    assert.ok(done.success! >= 0 && done.success! <= 1);
    const evals = events.filter((e) => e.type === 'diffusion-eval');
    assert.equal(evals.length, 2, 'at step 20 and the final one');
    // 11 free cells besides the goal, 4 episodes from each.
    assert.ok(evals.every((e) => e.type === 'diffusion-eval' && e.metrics.rolloutEpisodes === 44 && Number.isFinite(e.metrics.success)));
    assert.deepEqual((await store.readRunRecord(done.runDir))?.score, { name: 'goal reached', value: done.success });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const GENERATION = {
  kind: 'diffusion',
  data: { toy: 'shapes', size: 240 },
  training: { batchSize: 16, checkpointEvery: 10 },
  classifier: { steps: 12 },
  autoencoder: { steps: 12, width: 8 },
  diffusion: { steps: 12, width: 4, embed: 8, calls: 4, timesteps: 50 },
  evaluation: { samples: 40, every: 6, curveSamples: 20, gridPerClass: 2 },
};

test('diffusion (Frido miniature) through the runner: both schedules measured, grids and PNGs; stopped in a diffusion stage and resumed, the same numbers', async () => {
  const dir = workspace();
  try {
    const file = write(dir, 'gen', GENERATION);
    const straight = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink([]), () => false)) as DiffusionSummary;
    assert.equal(straight.status, 'completed');
    for (const arm of ['coarse-to-fine', 'single-scale'] as const) {
      const r = straight[arm]!;
      assert.ok(r.distance > 0 && r.distance7 > 0, `${arm}: distances are positive`);
      assert.ok(r.classConsistency >= 0 && r.classConsistency <= 1);
      const png = readFileSync(path.join(straight.runDir, gridPngFile(arm)));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    }
    assert.ok(straight.classifierAccuracy! > 0 && straight.classifierAccuracy! <= 1);
    // The sampling knobs were chosen on the validation split by the stated rule, and recorded.
    for (const arm of ['coarse-to-fine', 'single-scale'] as const) {
      const v = straight[arm]!.validation!;
      // 40 held-out images: 20 are the validation split, the other 20 the reported reference.
      assert.equal(v.samples, 20);
      const byGuidance = v.candidates.filter((c) => c.coarseShare === 0.5);
      assert.deepEqual(byGuidance.map((c) => c.guidance), [1, 2, 3, 4]);
      const w = byGuidance[pickByRule(byGuidance, v.samples)].guidance;
      assert.equal(v.guidance, w, `${arm}: the rule's guidance`);
      if (arm === 'coarse-to-fine') {
        const byShare = v.candidates.filter((c) => c.guidance === w);
        assert.deepEqual(new Set(byShare.map((c) => c.coarseShare)), new Set([0.3, 0.5, 0.7]));
        assert.equal(v.coarseShare, byShare[pickByRule(byShare, v.samples)].coarseShare);
      } else {
        assert.equal(v.candidates.length, 4, 'single-scale has no coarse share to choose');
      }
      assert.deepEqual(straight[arm]!.sampling, { calls: 4, guidance: v.guidance, coarseShare: v.coarseShare });
    }
    const grid = JSON.parse(readFileSync(path.join(straight.runDir, GRID_FILE), 'utf8'));
    assert.deepEqual(grid.stages, ['coarse decode', 'full decode']);
    // [stage][class][k] 28x28 bytes.
    assert.equal(Buffer.from(grid.grids['coarse-to-fine'].pixels, 'base64').length, 2 * 10 * 2 * 784);

    // Steps: classifier 12, autoencoder 12, coarse-to-fine 12, single-scale 12; stop inside coarse-to-fine.
    const events: RunEvent[] = [];
    const stopped = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), () =>
      events.some((e) => e.type === 'progress' && /^coarse-to-fine step ([3-9]|1\d)/.test(e.message)))) as DiffusionSummary;
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped['single-scale'], undefined);
    const resumed = (await runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink([]), () => false)) as DiffusionSummary;
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(measured(resumed), measured(straight));
    assert.ok(existsSync(path.join(resumed.runDir, gridPngFile('single-scale'))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a diffusion-policy run whose training blows up ends diverged, and is not resumed', async () => {
  const dir = workspace();
  try {
    // Learning rate 1,000: TD3+BC's weights or optimizer state leave the finite numbers within a few steps.
    const file = write(dir, 'blowup', {
      kind: 'diffusion-policy', dataset: { toy: 'four-corners', size: 400 }, policy: 'deterministic', objective: 'ql',
      training: { steps: 2000, learningRate: 1000, hidden: 16, checkpointEvery: 10 }, evaluation: { samples: 100, every: 0 },
    });
    const events: RunEvent[] = [];
    const s = await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), () => false);
    assert.equal(s.status, 'diverged');
    assert.match(s.message ?? '', /NaN|Infinity/);
    assert.equal((await store.readRunRecord(s.runDir))?.status, 'diverged');
    assert.equal(events.at(-1)?.type, 'end');
    await assert.rejects(runJob({ experimentFile: '', resumeDir: s.runDir }, sink([]), () => false), /diverged/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a diffusion run's checkpoint is not resumed with another coarse-stage schedule or batch share: the refusal says what changed", async () => {
  const dir = workspace();
  try {
    const file = write(dir, 'gen', { ...GENERATION, schedule: 'coarse-to-fine', diffusion: { ...GENERATION.diffusion, coarseShift: 0.5, coarseRows: 0.75 } });
    const events: RunEvent[] = [];
    const stopped = (await runJob({ experimentFile: file, outRoot: path.join(dir, 'runs') }, sink(events), () =>
      events.some((e) => e.type === 'progress' && /^coarse-to-fine step ([3-9]|1\d)/.test(e.message)))) as DiffusionSummary;
    assert.equal(stopped.status, 'cancelled');
    const configFile = path.join(stopped.runDir, store.CONFIG_FILE);
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    assert.equal(config.experiment.diffusion.coarseShift, 0.5, 'the resolved experiment carries the knob');
    config.experiment.diffusion.coarseShift = 0;
    writeFileSync(configFile, JSON.stringify(config));
    await assert.rejects(runJob({ experimentFile: '', resumeDir: stopped.runDir }, sink([]), () => false), /trained with diffusion\.coarseShift 0\.5; resumed now it would continue with 0 \(its configuration changed\): start a new run/);

    // A checkpoint from before these knobs existed (no record of them) trained with shift 0: the default is no longer that.
    const old = write(dir, 'old', { ...GENERATION, schedule: 'coarse-to-fine' });
    const oldEvents: RunEvent[] = [];
    const cut = (await runJob({ experimentFile: old, outRoot: path.join(dir, 'runs') }, sink(oldEvents), () =>
      oldEvents.some((e) => e.type === 'progress' && /^coarse-to-fine step ([3-9]|1\d)/.test(e.message)))) as DiffusionSummary;
    const manifest = path.join(cut.runDir, store.CHECKPOINT_DIR, 'session.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    assert.ok(m.extra.json.chainKnobs, 'the checkpoint records the knobs');
    delete m.extra.json;
    writeFileSync(manifest, JSON.stringify(m));
    await assert.rejects(runJob({ experimentFile: '', resumeDir: cut.runDir }, sink([]), () => false), /diffusion\.coarseShift 0, diffusion\.coarseRows 0\.5; resumed now it would continue with -1\.386\d*, 0\.666\d* \(written by an earlier Model Lab, before these settings existed; their defaults changed since\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
