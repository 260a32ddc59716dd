import { promises as fs } from 'node:fs';
import { UserError } from '../errors';
import type { DiffusionExperiment, DiffusionPolicyExperiment } from '../experiment/types';
import { DEFAULT_GENERATION_CONFIG, type GenerationConfig } from './generation/generationTrainer';
import { FASHION_MNIST_CLASSES, type LabelledImages, readIdxImages, SHAPES_CLASSES, shapesDataset, takeImages } from './generation/imageData';
import { type ScaleSchedule, SCALE_SCHEDULES } from './generation/twoScale';
import { fourCorners, parseTransitions, type PolicyDataset } from './policy/dataset';
import { mazeTransitions } from './policy/mazeDataset';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig, type PolicyKind, type PolicyObjective } from './policy/policyTrainer';

/**
 * From a loaded experiment (schema defaults filled in, paths absolute) to what the core trains:
 * the settings, the data. Shared by the runner jobs and the benchmark.
 */

/** The arm's name in tables, events and the benchmark: `diffusion-bc`, `diffusion-ql`, `gaussian`, `td3bc`, ... */
export function policyArmName(policy: PolicyKind, objective: PolicyObjective): string {
  if (policy === 'gaussian') return objective === 'bc' ? 'gaussian' : 'gaussian-ql';
  if (policy === 'deterministic') return objective === 'bc' ? 'deterministic-bc' : 'td3bc';
  return `diffusion-${objective}`;
}

export function policyConfigFrom(exp: DiffusionPolicyExperiment): PolicyConfig {
  const d = DEFAULT_POLICY_CONFIG;
  const t = exp.training ?? {};
  return {
    policy: exp.policy,
    objective: exp.objective,
    diffusion: { ...d.diffusion, ...exp.diffusion },
    eta: exp.eta ?? d.eta,
    steps: t.steps ?? d.steps,
    warmupSteps: exp.objective === 'ql' ? t.warmupSteps ?? d.warmupSteps : 0,
    batchSize: t.batchSize ?? d.batchSize,
    learningRate: t.learningRate ?? d.learningRate,
    hidden: t.hidden ?? d.hidden,
    discount: t.discount ?? d.discount,
    tau: t.tau ?? d.tau,
    ema: { ...d.ema, ...t.ema },
    criticClipNorm: t.criticClipNorm ?? d.criticClipNorm,
    seed: t.seed ?? d.seed,
  };
}

/**
 * The dataset of a `diffusion-policy` experiment: the four-corner toy, a transitions file, or a
 * maze dataset from the RL lab's noisy-expert generator (`policy/mazeDataset.ts`).
 */
export async function loadPolicyDataset(exp: DiffusionPolicyExperiment): Promise<PolicyDataset> {
  const d = exp.dataset;
  if ('toy' in d) return fourCorners({ size: d.size, seed: d.seed, modeRadius: d.modeRadius });
  if ('maze' in d) return mazeTransitions(d);
  let text: string;
  try {
    text = await fs.readFile(d.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${code === 'ENOENT' ? 'transitions file not found' : `cannot read the transitions file (${code ?? String(e)})`}: ${d.file}`, '/dataset/file', d.file);
  }
  return parseTransitions(text, d.file, { modes: d.modes, modeRadius: d.modeRadius, maxAction: d.maxAction, seed: exp.training?.seed ?? 0 });
}

/** The schedules a `diffusion` experiment compares. */
export function generationSchedules(exp: DiffusionExperiment): ScaleSchedule[] {
  const s = exp.schedule ?? 'both';
  return s === 'both' ? [...SCALE_SCHEDULES] : [s];
}

export function generationConfigFrom(exp: DiffusionExperiment): GenerationConfig {
  const d = DEFAULT_GENERATION_CONFIG;
  const { emaDecay, ...diffusion } = exp.diffusion ?? {};
  return {
    schedules: generationSchedules(exp),
    seed: exp.training?.seed ?? d.seed,
    batchSize: exp.training?.batchSize ?? d.batchSize,
    classifier: { ...d.classifier, ...exp.classifier },
    autoencoder: { ...d.autoencoder, ...exp.autoencoder },
    diffusion: { ...d.diffusion, ...diffusion, ema: { ...d.diffusion.ema, ...(emaDecay !== undefined ? { decay: emaDecay } : {}) } },
    evaluation: { ...d.evaluation, ...exp.evaluation },
    validation: { ...d.validation, ...exp.validation },
  };
}

/** Training images and the held-out images the distance is measured against, and class names. */
export async function loadGenerationData(exp: DiffusionExperiment): Promise<{ train: LabelledImages; dev: LabelledImages; classNames: string[] }> {
  const d = exp.data;
  let all: LabelledImages;
  let devSize: number;
  if ('toy' in d) {
    all = shapesDataset(d.size ?? 3000, d.seed ?? 0);
    devSize = Math.floor(all.count / 6);
  } else {
    all = await readIdxImages(d.train.images, d.train.labels, '/data/train', d.limit);
    devSize = d.devSize ?? Math.min(10000, Math.floor(all.count / 6));
    if (devSize > all.count / 2) throw new UserError(`only ${all.count} images: too few to hold out ${devSize}`, '/data/devSize');
  }
  const defaultNames = 'toy' in d ? SHAPES_CLASSES : all.classes === 10 ? FASHION_MNIST_CLASSES : [];
  const classNames = Array.from({ length: all.classes }, (_, i) => d.classNames?.[i] ?? defaultNames[i] ?? String(i));
  return { train: takeImages(all, 0, all.count - devSize), dev: takeImages(all, all.count - devSize, devSize), classNames };
}
