import type { OfflineGcrlExperiment, SkillsExperiment } from '../experiment/types';
import type { EnvSettings } from './env/envs';
import type { GenerateSettings } from './gcrl/generate';
import { defaultOfflineSettings, type OfflineSettings } from './gcrl/settings';
import { defaultSkillsSettings, type SkillsSettings } from './skills/settings';

/** A `skills` experiment's settings; fields the file leaves out take the defaults (schema and core agree). */
export function skillsSettingsFrom(exp: SkillsExperiment): SkillsSettings {
  const d = defaultSkillsSettings();
  const env: EnvSettings = exp.env.type === 'point2d'
    ? { type: 'point2d', maxStep: exp.env.maxStep ?? 0.2 }
    : { type: 'pointmaze', layout: exp.env.layout, maxStep: exp.env.maxStep ?? 0.5 };
  return {
    ...d,
    env,
    start: exp.env.type === 'pointmaze' ? exp.env.start : undefined,
    horizon: exp.horizon ?? d.horizon,
    algo: exp.algo,
    skills: { ...d.skills, ...defined(exp.skills) },
    sac: { ...d.sac, ...defined(exp.sac) },
    phiHidden: exp.phiHidden ?? d.phiHidden,
    metra: { ...d.metra, ...defined(exp.metra) },
    epochs: exp.budget?.epochs ?? d.epochs,
    trajectoriesPerEpoch: exp.budget?.trajectoriesPerEpoch ?? d.trajectoriesPerEpoch,
    gradientStepsPerEpoch: exp.budget?.gradientStepsPerEpoch ?? d.gradientStepsPerEpoch,
    evaluation: { ...d.evaluation, ...defined(exp.evaluation) },
    seed: exp.seed ?? d.seed,
  };
}

/** An `offline-gcrl` experiment's settings (one algorithm) and, when it generates its data, the generator's. */
export function offlineSettingsFrom(exp: OfflineGcrlExperiment): { settings: OfflineSettings; generate?: GenerateSettings } {
  const env: EnvSettings = exp.env.type === 'gridmaze' ? { type: 'gridmaze', layout: exp.env.layout } : { type: 'pointmaze', layout: exp.env.layout, maxStep: exp.env.maxStep ?? 0.5 };
  const d = defaultOfflineSettings(env, exp.evaluation.tasks);
  const g = exp.goals ?? {};
  const t = exp.training ?? {};
  const settings: OfflineSettings = {
    ...d,
    algos: [exp.algo],
    sampling: {
      goals: { current: g.current ?? d.sampling.goals.current, trajectory: g.trajectory ?? d.sampling.goals.trajectory, random: g.random ?? d.sampling.goals.random },
      highRandom: g.highRandom ?? d.sampling.highRandom,
      discount: exp.discount ?? d.sampling.discount,
      k: exp.k ?? d.sampling.k,
    },
    expectile: exp.expectile ?? d.expectile,
    temperature: exp.temperature ?? d.temperature,
    tau: t.tau ?? d.tau,
    learningRate: t.learningRate ?? d.learningRate,
    // One rate for every network unless the policies get their own (the official code: one rate).
    actorLearningRate: t.actorLearningRate ?? t.learningRate ?? d.actorLearningRate,
    batchSize: t.batchSize ?? d.batchSize,
    valueHidden: t.valueHidden ?? d.valueHidden,
    actorHidden: t.actorHidden ?? d.actorHidden,
    layerNorm: t.layerNorm ?? d.layerNorm,
    highSteps: t.highSteps ?? d.highSteps,
    encoding: t.encoding ?? d.encoding,
    epochs: t.epochs ?? d.epochs,
    stepsPerEpoch: t.stepsPerEpoch ?? d.stepsPerEpoch,
    evaluation: { ...d.evaluation, ...defined(exp.evaluation) },
    seed: exp.seed ?? d.seed,
  };
  const gen = 'generate' in exp.dataset ? exp.dataset.generate : undefined;
  return { settings, generate: gen && { trajectories: gen.trajectories ?? 300, length: gen.length ?? 200, noise: gen.noise ?? 0.3 } };
}

/** The entries of `o` that are set (so that spreading it over defaults keeps the defaults for the rest). */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
