import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fourCorners, parseTransitions } from '../../../src/core/diffusion/policy/dataset';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig, type PolicyKind, type PolicyObjective, PolicyTrainer } from '../../../src/core/diffusion/policy/policyTrainer';
import { useBackend } from '../train/fixtures';

before(useBackend);
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(policy: PolicyKind, objective: PolicyObjective, over: Partial<PolicyConfig> = {}): PolicyConfig {
  return {
    ...DEFAULT_POLICY_CONFIG, policy, objective, steps: 6, batchSize: 32, hidden: 16,
    diffusion: { ...DEFAULT_POLICY_CONFIG.diffusion, steps: 5 }, ema: { decay: 0.9, start: 2, every: 1 }, ...over,
  };
}

async function train(cfg: PolicyConfig, data = fourCorners({ size: 400, seed: 1 })): Promise<{ trainer: PolicyTrainer; losses: Record<string, number>[] }> {
  const trainer = new PolicyTrainer(cfg, data);
  const losses: Record<string, number>[] = [];
  await trainer.session.run(trainer.stages(), { onStep: (r) => void losses.push(r.metrics) });
  return { trainer, losses };
}

describe('policy trainer', () => {
  for (const policy of ['diffusion', 'gaussian', 'deterministic'] as const) {
    for (const objective of ['bc', 'ql'] as const) {
      it(`${policy} + ${objective}: trains (finite losses, critic only for ql), samples within the action bound, metrics are shares`, async () => {
        const { trainer, losses } = await train(config(policy, objective, objective === 'ql' ? { warmupSteps: 2 } : {}));
        assert.equal(losses.length, 6);
        for (const l of losses) for (const v of Object.values(l)) assert.ok(Number.isFinite(v));
        assert.equal('critic' in losses[5], objective === 'ql');
        if (objective === 'ql') {
          assert.ok(!('qLoss' in losses[1]), 'the BC warm-up has no Q term');
          assert.ok('qLoss' in losses[5]);
        }
        const e = trainer.evaluate(64, 5);
        assert.equal(e.samples.length, 128);
        assert.ok(e.samples.every((v) => v >= -1 && v <= 1));
        for (const v of [e.onMode, e.bestModeShare, ...e.modeShares]) assert.ok(v >= 0 && v <= 1);
        assert.equal(e.meanQ !== undefined, objective === 'ql');
        const chain = trainer.chain(8, 1);
        assert.equal(chain === undefined, policy !== 'diffusion');
        if (chain) {
          assert.deepEqual(chain.timesteps, [-1, 4, 3, 2, 1, 0]);
          assert.ok(chain.states.every((s) => s.length === 16));
        }
        trainer.dispose();
      });
    }
  }

  it('same seed, same training and samples; the evaluation seed fixes the measurement noise', async () => {
    const a = await train(config('diffusion', 'ql', { warmupSteps: 2 }));
    const b = await train(config('diffusion', 'ql', { warmupSteps: 2 }));
    assert.deepEqual(a.losses, b.losses);
    assert.deepEqual(a.trainer.evaluate(32, 9).samples, b.trainer.evaluate(32, 9).samples);
    assert.deepEqual(a.trainer.evaluate(32, 9).samples, a.trainer.evaluate(32, 9).samples);
    assert.notDeepEqual(a.trainer.evaluate(32, 9).samples, a.trainer.evaluate(32, 10).samples);
    a.trainer.dispose();
    b.trainer.dispose();
  });

  it('a run stopped, saved and resumed in a new trainer ends exactly where the uninterrupted one does', async () => {
    const cfg = config('diffusion', 'ql', { steps: 8, warmupSteps: 3 });
    const whole = await train(cfg);
    const dir = mkdtempSync(path.join(tmpdir(), 'policy-resume-'));
    dirs.push(dir);
    const first = new PolicyTrainer(cfg, fourCorners({ size: 400, seed: 1 }));
    const res = await first.session.run(first.stages(), { shouldStop: () => first.session.position.globalStep >= 5 });
    assert.equal(res.status, 'stopped');
    await first.session.save(dir);
    first.dispose();
    const second = new PolicyTrainer(cfg, fourCorners({ size: 400, seed: 1 }));
    assert.equal((await second.session.load(dir))?.position.globalStep, 5);
    const tail: Record<string, number>[] = [];
    await second.session.run(second.stages(), { onStep: (r) => void tail.push(r.metrics) });
    assert.deepEqual(tail, whole.losses.slice(5));
    assert.deepEqual(second.evaluate(32, 2).samples, whole.trainer.evaluate(32, 2).samples);
    second.dispose();
    whole.trainer.dispose();
  });

  it('multi-step data uses a TD backup through the target critic and the EMA policy', async () => {
    const rows = Array.from({ length: 64 }, (_, i) => JSON.stringify({ state: [i % 2], action: [i % 2 ? 0.5 : -0.5], reward: i % 2, nextState: [(i + 1) % 2], done: i % 8 === 7 }));
    const data = parseTransitions(rows.join('\n'), 'td.jsonl', { modes: [[0.5], [-0.5]] });
    const { trainer, losses } = await train(config('diffusion', 'ql', { steps: 4, warmupSteps: 1 }), data);
    assert.ok(losses.every((l) => Number.isFinite(l.critic)));
    trainer.dispose();
  });

  it('the mechanism on the four-corner toy: a diffusion policy keeps the modes, a Gaussian one averages them away', async () => {
    const data = fourCorners({ size: 2000, seed: 2 });
    const common = { steps: 1500, batchSize: 100, hidden: 64, learningRate: 3e-3, ema: { decay: 0.99, start: 500, every: 1 } };
    const diffusion = await train(config('diffusion', 'bc', { ...common, diffusion: { ...DEFAULT_POLICY_CONFIG.diffusion, steps: 20 } }), data);
    const gaussian = await train(config('gaussian', 'bc', common), data);
    const d = diffusion.trainer.evaluate(500, 3);
    const g = gaussian.trainer.evaluate(500, 3);
    assert.ok(d.onMode > 0.6, `diffusion BC on a mode: ${d.onMode}`);
    assert.ok(d.modeShares.every((s) => s > 0.08), `every mode kept: ${d.modeShares}`);
    assert.ok(g.onMode < 0.2, `Gaussian BC on a mode: ${g.onMode}`);
    diffusion.trainer.dispose();
    gaussian.trainer.dispose();
    assert.equal(tf.memory().numTensors < 50, true, `tensors left: ${tf.memory().numTensors}`);
  });
});
