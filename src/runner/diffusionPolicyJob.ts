import * as path from 'node:path';
import { loadPolicyDataset, policyArmName, policyConfigFrom } from '../core/diffusion/fromExperiment';
import { type PolicyEvaluation, PolicyTrainer } from '../core/diffusion/policy/policyTrainer';
import { POLICY_CHAIN_FILE, POLICY_SAMPLES_FILE } from '../core/diffusion/runFiles';
import type { DiffusionPolicyExperiment } from '../core/experiment/types';
import { initBackend } from '../core/tensor/backend';
import type { RunEvent } from '../core/train/events';
import { writeJsonAtomic } from '../core/util/atomicFile';
import type { RunRequest } from './protocol';
import type { JobSink, JobStart } from './job';
import * as store from './runStore';
import { runSessionJob } from './sessionJob';
import type { DiffusionPolicySummary } from './summary';


/** Seeds of the measurement noise: the same at every measurement of a run, so curves compare like with like. */
const EVAL_SEED = 0x5eed;
const CHAIN_SEED = 0xc4a1;

/**
 * Runs a `diffusion-policy` experiment: trains the arm (`core/diffusion/policy/`), measures the
 * sampled actions against the data's modes every `evaluation.every` steps and at the end, and
 * leaves `samples.json` (data and sampled actions) and, for a diffusion policy, `chain.json`
 * (every state of the reverse chain of `evaluation.chainSamples` samples) for the panel.
 */
export async function runDiffusionPolicyJob(
  start: JobStart<DiffusionPolicyExperiment>, req: RunRequest, sink: JobSink, shouldStop: () => boolean,
): Promise<DiffusionPolicySummary> {
  const exp = start.config.experiment;
  const cfg = policyConfigFrom(exp);
  const arm = policyArmName(cfg.policy, cfg.objective);
  const evaluation = { samples: exp.evaluation?.samples ?? 1000, every: exp.evaluation?.every ?? 1000, chainSamples: exp.evaluation?.chainSamples ?? 500 };
  const emit = (e: RunEvent): void => {
    store.appendEvent(start.runDir, e);
    sink.event(e);
  };
  let last: Omit<PolicyEvaluation, 'samples'> | undefined;
  // A resumed run keeps its last measurement until it makes a new one.
  for (const e of start.resume ? await store.readEvents(start.runDir) : []) {
    if (e.type === 'diffusion-eval' && e.modeShares) {
      const m = e.metrics;
      last = {
        onMode: m.onMode, bestModeShare: m.bestModeShare, expectedReward: m.expectedReward, modeShares: e.modeShares,
        ...(m.success !== undefined ? { rollout: { success: m.success, steps: m.rolloutSteps, episodes: m.rolloutEpisodes } } : {}),
      };
    }
  }
  let trainer: PolicyTrainer;
  const measure = (step: number, final: boolean): PolicyEvaluation => {
    const e = trainer.evaluate(evaluation.samples, EVAL_SEED);
    last = e;
    const metrics: Record<string, number> = { onMode: e.onMode, bestModeShare: e.bestModeShare, expectedReward: e.expectedReward };
    if (e.meanQ !== undefined) metrics.meanQ = e.meanQ;
    if (e.rollout) Object.assign(metrics, { success: e.rollout.success, rolloutSteps: e.rollout.steps, rolloutEpisodes: e.rollout.episodes });
    emit({ type: 'diffusion-eval', arm, step, ...(final ? { final } : {}), metrics, modeShares: e.modeShares });
    return e;
  };
  return runSessionJob<DiffusionPolicySummary>(start, sink, shouldStop, async () => {
    const backend = await initBackend((req.backend as 'auto') ?? 'auto');
    sink.log('info', `backend: ${backend.name}`);
    const data = await loadPolicyDataset(exp);
    trainer = new PolicyTrainer(cfg, data);
    return {
      session: trainer.session,
      stages: trainer.stages(),
      totalSteps: cfg.steps,
      checkpointEvery: exp.training?.checkpointEvery ?? 500,
      backend: backend.name,
      begin: (resumedAt) => {
        emit({
          type: 'diffusion-start', kind: 'diffusion-policy', arms: [arm], totalSteps: cfg.steps, backend: backend.name,
          ...(resumedAt !== undefined ? { resumedAt } : {}), modes: data.modes, modeRadius: data.modeRadius,
        });
      },
      onStep: (r) => {
        if (r.step % 50 === 0 || r.stageEnd) emit({ type: 'diffusion-loss', stage: r.stage, step: r.step, losses: r.metrics });
        if (evaluation.every > 0 && r.step % evaluation.every === 0 && r.step < cfg.steps) measure(r.step, false);
      },
      progressMessage: (r) =>
        `${arm} ${r.stage} step ${r.step}/${cfg.steps}${last ? ` · on a mode ${pct(last.onMode)} · best mode ${pct(last.bestModeShare)}` : ''}${last?.rollout ? ` · goal reached ${pct(last.rollout.success)}` : ''}`,
      finish: async (status) => {
        if (status === 'completed') {
          const e = measure(cfg.steps, true);
          await writePanelFiles(start.runDir, trainer, e, evaluation.chainSamples, emit);
        }
        const fields = last
          ? {
              kind: 'diffusion-policy' as const, onMode: last.onMode, modeShares: last.modeShares, bestModeShare: last.bestModeShare, expectedReward: last.expectedReward,
              ...(last.rollout ? { success: last.rollout.success } : {}),
            }
          : { kind: 'diffusion-policy' as const };
        const score = !last
          ? undefined
          : last.rollout
            ? { name: 'goal reached', value: last.rollout.success }
            : cfg.objective === 'ql' ? { name: 'best-mode share', value: last.bestModeShare } : { name: 'on-mode share', value: last.onMode };
        return { fields, score };
      },
      dispose: () => trainer.dispose(),
    };
  });
}

/** `samples.json` (up to 2,000 data actions and the final samples) and, for diffusion, `chain.json`. */
async function writePanelFiles(runDir: string, trainer: PolicyTrainer, e: PolicyEvaluation, chainSamples: number, emit: (e: RunEvent) => void): Promise<void> {
  const d = trainer.data;
  const stride = Math.max(1, Math.floor(d.size / 2000));
  const dataActions: number[] = [];
  for (let i = 0; i < d.size && dataActions.length < 2000 * d.actionDim; i += stride) for (let k = 0; k < d.actionDim; k++) dataActions.push(round(d.actions[i * d.actionDim + k]));
  await writeJsonAtomic(path.join(runDir, POLICY_SAMPLES_FILE), {
    actionDim: d.actionDim, maxAction: d.maxAction, modes: d.modes, modeRadius: d.modeRadius,
    data: dataActions, samples: Array.from(e.samples, round),
  });
  emit({ type: 'diffusion-artifact', what: 'samples', file: POLICY_SAMPLES_FILE });
  const chain = chainSamples > 0 ? trainer.chain(chainSamples, CHAIN_SEED) : undefined;
  if (chain) {
    await writeJsonAtomic(path.join(runDir, POLICY_CHAIN_FILE), {
      actionDim: d.actionDim, count: chain.count, timesteps: chain.timesteps, states: chain.states.map((s) => Array.from(s, round)),
    });
    emit({ type: 'diffusion-artifact', what: 'chain', file: POLICY_CHAIN_FILE });
  }
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}
