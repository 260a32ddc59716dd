import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckpointExtra, RunOptions, RunResult, StepRecord } from '../../src/core/train/loop';
import { CHECKPOINT_SECONDS, runCheckpointedPhase } from '../../src/runner/checkpointedPhase';

/**
 * The loop of a job's phase (distillation arms, masked-LM pretraining): when it checkpoints and
 * what its loss points hold, on a scripted session whose steps advance an injected clock (no
 * training, no sleeps).
 */

interface StageShape {
  name: string;
  /** Epochs of `perEpoch` steps, or a budget of `steps` (no epochs). */
  epochs?: number;
  perEpoch?: number;
  steps?: number;
}

/** The records a `TrainingSession` reports for `stages`, with `metrics(step)` for each step. */
function records(stages: StageShape[], metrics: (step: number) => Record<string, number>): StepRecord[] {
  const out: StepRecord[] = [];
  for (const s of stages) {
    const length = s.steps ?? s.epochs! * s.perEpoch!;
    for (let k = 1; k <= length; k++) {
      const step = out.length + 1;
      const epochEnd = s.steps === undefined && k % s.perEpoch! === 0;
      out.push({ stage: s.name, step, stageStep: k, epoch: s.perEpoch ? Math.floor((k - 1) / s.perEpoch) : 0, epochEnd, stageEnd: k === length, metrics: metrics(step) });
    }
  }
  return out;
}

/** A session that replays `plan`, each step `stepSeconds` of the clock, and records the steps it saved at. */
function scripted(plan: StepRecord[], stepSeconds: number) {
  let clock = 0;
  let done = 0;
  const saves: { step: number; dir: string; extra?: CheckpointExtra }[] = [];
  const session = {
    async run(_stages: unknown, opts: RunOptions = {}): Promise<RunResult> {
      while (done < plan.length) {
        if (opts.shouldStop?.()) return { status: 'stopped', step: done, stage: plan[done].stage };
        clock += stepSeconds * 1000;
        const r = plan[done++];
        await opts.onStep?.(r);
      }
      return { status: 'completed', step: done };
    },
    async save(dir: string, extra?: CheckpointExtra): Promise<void> {
      saves.push({ step: done, dir, extra });
    },
  };
  return { session, saves, now: () => clock, steps: () => done };
}

const loss = (step: number) => ({ loss: step });

test('a fast phase checkpoints at every epoch end and stage end, and nowhere else', async () => {
  const plan = records([{ name: 'a', epochs: 2, perEpoch: 3 }, { name: 'b', steps: 4 }], loss);
  const s = scripted(plan, 0.001);
  const result = await runCheckpointedPhase(s.session, [], { dir: 'ckpt', shouldStop: () => false, pointAt: () => false, onPoint: () => undefined, now: s.now });
  assert.deepEqual(result, { status: 'completed', step: 10 });
  assert.deepEqual(s.saves.map((x) => x.step), [3, 6, 10]);
  assert.ok(s.saves.every((x) => x.dir === 'ckpt'));
});

test(`a long stage without epochs checkpoints once ${CHECKPOINT_SECONDS} s of the clock have passed since the last checkpoint`, async () => {
  const plan = records([{ name: 'long', steps: 20 }], loss);
  const s = scripted(plan, 7);
  await runCheckpointedPhase(s.session, [], { dir: 'ckpt', shouldStop: () => false, pointAt: () => false, onPoint: () => undefined, now: s.now });
  // 35 s at step 5, then 35 s after each checkpoint, and the stage's end.
  assert.deepEqual(s.saves.map((x) => x.step), [5, 10, 15, 20]);
});

test('a stop checkpoints where it stopped, with the caller\'s state, and says so', async () => {
  const plan = records([{ name: 'a', epochs: 3, perEpoch: 4 }], loss);
  const s = scripted(plan, 0.001);
  let calls = 0;
  const result = await runCheckpointedPhase(s.session, [], {
    dir: 'ckpt', shouldStop: () => s.steps() === 6, extra: () => ({ json: { calls: ++calls } }), pointAt: () => false, onPoint: () => undefined, now: s.now,
  });
  assert.deepEqual(result, { status: 'stopped', step: 6, stage: 'a' });
  assert.deepEqual(s.saves, [{ step: 4, dir: 'ckpt', extra: { json: { calls: 1 } } }, { step: 6, dir: 'ckpt', extra: { json: { calls: 2 } } }]);
});

test('loss points: at the steps the caller picks and at epoch and stage ends, each metric the mean of the steps since the last point that reported it', async () => {
  // `acc` only on even steps.
  const plan = records([{ name: 'a', epochs: 1, perEpoch: 5 }, { name: 'b', steps: 3 }], (step) => ({ loss: step, ...(step % 2 === 0 ? { acc: step * 10 } : {}) }));
  const s = scripted(plan, 0.001);
  const points: [number, Record<string, number>][] = [];
  await runCheckpointedPhase(s.session, [], { dir: 'ckpt', shouldStop: () => false, pointAt: (r) => r.stageStep % 2 === 0, onPoint: (r, m) => points.push([r.step, m]), now: s.now });
  assert.deepEqual(points, [
    [2, { loss: 1.5, acc: 20 }],
    [4, { loss: 3.5, acc: 40 }],
    [5, { loss: 5 }], // the epoch's (and stage's) end
    [7, { loss: 6.5, acc: 60 }], // b's second step
    [8, { loss: 8, acc: 80 }], // b's end
  ]);
});
