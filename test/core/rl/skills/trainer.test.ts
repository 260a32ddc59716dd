import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultSkillsSettings, type SkillsSettings } from '../../../../src/core/rl/skills/settings';
import { sampleSkills, SkillsTrainer } from '../../../../src/core/rl/skills/trainer';
import { createRng } from '../../../../src/core/util/random';
import { useBackend } from '../../train/fixtures';

let tmp: string;
before(async () => {
  await useBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-test-'));
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

/** A tiny budget: the point is the machinery (collection, updates, evaluation), not the skills. */
function tiny(algo: SkillsSettings['algo'], discrete = false): SkillsSettings {
  const s = defaultSkillsSettings();
  return {
    ...s,
    algo,
    skills: { dim: discrete ? 4 : 2, discrete },
    horizon: 8,
    sac: { ...s.sac, hidden: [16, 16], batchSize: 32, minBuffer: 16, bufferSize: 200 },
    phiHidden: [16, 16],
    epochs: 4,
    trajectoriesPerEpoch: 2,
    gradientStepsPerEpoch: 3,
    evaluation: { skills: 6, everyEpochs: 2 },
    seed: 3,
  };
}

async function straight(s: SkillsSettings) {
  const t = new SkillsTrainer(s);
  const metrics: Record<string, number>[] = [];
  await t.session.run(t.stages(), { onStep: (r) => void metrics.push(r.metrics) });
  const result = { metrics, history: t.history, buffer: t.buffer.state().rows };
  t.dispose();
  return result;
}

describe('skill discovery trainer (METRA, DIAYN, LSD on SAC)', () => {
  for (const [algo, discrete] of [['metra', false], ['diayn', false], ['diayn', true], ['metra', true], ['lsd', false]] as const) {
    it(`${algo} with ${discrete ? 'discrete' : 'continuous'} skills: same seed, same numbers`, async () => {
      const a = await straight(tiny(algo, discrete));
      const b = await straight(tiny(algo, discrete));
      assert.deepEqual(b, a);
      assert.equal(a.history.length, 2, 'evaluated at epochs 2 and 4');
      const last = a.history[1];
      assert.equal(last.trajectories.length, 6);
      assert.equal(last.trajectories[0].length, 9, 'start plus one position per step');
      assert.ok(last.coverage >= 1 && last.finalDistance >= 0 && last.finalDistance <= last.maxDistance + 1e-9);
      const updates = a.metrics.filter((m) => 'critic' in m);
      assert.ok(updates.length > 0, 'updates start once the buffer holds minBuffer transitions');
      assert.ok(updates.every((m) => Object.values(m).every(Number.isFinite)));
      if (algo === 'metra') assert.ok(updates.every((m) => m.lambda > 0 && 'penalty' in m));
      if (algo === 'lsd') assert.ok(updates.every((m) => !('lambda' in m) && 'phiReward' in m), 'LSD: no dual variable');
    });
  }

  it('a run stopped mid-epoch and resumed from its checkpoint ends exactly like one that never stopped', async () => {
    const s = tiny('metra');
    const full = await straight(s);
    const dir = path.join(tmp, 'resume');
    const first = new SkillsTrainer(s);
    let steps = 0;
    const r = await first.session.run(first.stages(), { shouldStop: () => steps === 7, onStep: () => void steps++ });
    assert.equal(r.status, 'stopped');
    await first.session.save(dir, first.checkpointExtra());
    first.dispose();

    const second = new SkillsTrainer(s);
    const loaded = await second.session.load(dir);
    assert.ok(loaded);
    second.restore(loaded.extra);
    const metrics: Record<string, number>[] = [];
    await second.session.run(second.stages(), { onStep: (rec) => void metrics.push(rec.metrics) });
    assert.deepEqual(metrics, full.metrics.slice(7));
    assert.deepEqual(second.history, full.history);
    assert.deepEqual(second.buffer.state().rows, full.buffer);
    second.dispose();
  });

  it('samples unit-length skills for METRA, plain Gaussian ones for DIAYN, and one-hot discrete skills', () => {
    const metra = sampleSkills(50, tiny('metra'), createRng(1), false);
    for (let i = 0; i < 50; i++) assert.ok(Math.abs(Math.hypot(metra[2 * i], metra[2 * i + 1]) - 1) < 1e-6);
    const diayn = sampleSkills(200, tiny('diayn'), createRng(1), false);
    const norms = Array.from({ length: 200 }, (_, i) => Math.hypot(diayn[2 * i], diayn[2 * i + 1]));
    assert.ok(norms.some((n) => n < 0.5) && norms.some((n) => n > 1.5));
    const onehot = sampleSkills(8, tiny('diayn', true), createRng(1), true);
    assert.deepEqual(Array.from(onehot), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });
});
