import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import type { DiagnosticSeverity } from './diagnostic';
import { generalArmProblem, LAYERWISE_METHODS } from '../distill/settings';
import type { DistillArmConfig, DistillExperiment } from './types';

/** A problem at a field (what `semantic.ts` turns into a diagnostic). */
export interface DistillProblem {
  pointer: string;
  message: string;
  severity?: DiagnosticSeverity;
}

/** What the editor can tell about a teacher without loading it. */
export interface TeacherFacts {
  /** Layer types, as written in an experiment (`batchNormalization`) or as tfjs classes (`BatchNormalization`). */
  layerTypes: string[];
  /** Trained on text (token ids)? */
  text: boolean;
  /** Pretrained by masked-LM in its run (`pretrain`) or fine-tuned from a saved model: what general distillation learns from by default. */
  pretrained: boolean;
  /** For messages. */
  label: string;
}

/**
 * Problems of a distill experiment the schema cannot see: duplicate arm names, and arms the
 * teacher cannot serve, said at the arm: DeepInversion on a teacher without batch norm (its
 * statistics are the "data" it inverts), data-free arms on a text model, augmentation on
 * non-text data, general distillation without a pretrained encoder. `baseDir` undefined: the
 * teacher is not looked at (no file, or Restricted Mode).
 */
export function distillProblems(exp: DistillExperiment, baseDir: string | undefined): DistillProblem[] {
  const out: DistillProblem[] = [];
  const arms = Array.isArray(exp.arms) ? exp.arms : [];
  const seen = new Map<string, number>();
  arms.forEach((a, i) => {
    const name = typeof a === 'string' ? a : a?.name ?? a?.method;
    if (typeof name !== 'string') return;
    if (seen.has(name)) out.push({ pointer: `/arms/${i}`, message: `arm '${name}' is already arm ${seen.get(name)! + 1}: give one of them a "name"` });
    else seen.set(name, i);
  });
  arms.forEach((a, i) => {
    if (typeof a !== 'object' || a === null || typeof a.method !== 'string') return;
    const problem = generalArmProblem(a, exp.general !== undefined);
    if (problem) out.push({ pointer: `/arms/${i}/general`, message: problem });
  });
  if (exp.general && typeof exp.general === 'object') {
    const starts = arms.some((a) => (typeof a === 'string' ? LAYERWISE_METHODS.has(a) : a?.general ?? LAYERWISE_METHODS.has(a?.method)));
    if (!starts) {
      out.push({ pointer: '/general', severity: 'warning', message: 'no arm starts from general distillation (tinybert arms do by default; others with "general": true): it would not run' });
    }
  }
  if (baseDir === undefined || typeof exp.teacher !== 'string') return out;
  const facts = teacherFacts(path.resolve(baseDir, exp.teacher));
  if (!facts) return out;
  const hasBn = facts.layerTypes.some((t) => t.toLowerCase() === 'batchnormalization');
  arms.forEach((a, i) => {
    const arm: DistillArmConfig = typeof a === 'string' ? { method: a } : a;
    const pointer = `/arms/${i}`;
    const bnWeight = arm.synthesis?.bnWeight ?? exp.synthesis?.bnWeight ?? 1;
    const dataFree = arm.method === 'deepinversion' || arm.method === 'dafl' || arm.method === 'noise';
    if (dataFree && facts.text) {
      out.push({ pointer, message: `${arm.method} is data-free and synthesises inputs, which a text model (${facts.label}) cannot take: its inputs are token ids` });
    } else if (arm.method === 'deepinversion' && !hasBn && bnWeight > 0) {
      out.push({ pointer, message: `deepinversion inverts the teacher's batch-norm statistics, but the teacher (${facts.label}) has no batchNormalization layer: add batch norm to the teacher, use dafl or noise, or set synthesis.bnWeight to 0` });
    } else if (dataFree && !hasBn) {
      out.push({ pointer, severity: 'info', message: `the teacher (${facts.label}) has no batch norm: ${arm.method} runs, but nothing makes its inputs match the data's statistics` });
    }
    if (arm.method === 'tinybert+aug' && !facts.text) {
      out.push({ pointer, message: `tinybert+aug replaces words, and the teacher (${facts.label}) is not a text model` });
    }
  });
  if (exp.general && exp.general.teacher === undefined && !facts.pretrained) {
    out.push({ pointer: '/general', message: `general distillation needs an encoder pretrained by masked-LM: give the teacher (${facts.label}) a "pretrain" section, set general.teacher, or use a teacher fine-tuned from one (model.from)` });
  }
  return out;
}

/** Reads a teacher's layers and data kind from its experiment, run folder or model.json; undefined if unreadable. */
export function teacherFacts(file: string): TeacherFacts | undefined {
  try {
    if (!existsSync(file)) return undefined;
    if (statSync(file).isDirectory()) {
      const config = JSON.parse(readFileSync(path.join(file, 'config.json'), 'utf8')) as { experiment?: unknown };
      return fromExperiment(config.experiment, `run ${path.basename(file)}`, file);
    }
    const doc = parseJsonc(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (doc && typeof doc === 'object' && 'modelTopology' in doc) return fromTopology(doc.modelTopology, path.basename(file));
    return fromExperiment(doc, path.basename(file), path.dirname(file));
  } catch {
    return undefined;
  }
}

function fromExperiment(exp: unknown, label: string, baseDir: string): TeacherFacts | undefined {
  const e = exp as { kind?: string; data?: { format?: string }; model?: { layers?: { type?: string }[]; from?: string }; pretrain?: unknown } | undefined;
  if (!e || (e.kind ?? 'train') !== 'train') return undefined;
  const layers = (Array.isArray(e.model?.layers) ? e.model!.layers : []).map((l) => String(l?.type ?? ''));
  let base: TeacherFacts | undefined;
  if (typeof e.model?.from === 'string') {
    const from = path.resolve(baseDir, e.model.from);
    const doc = existsSync(from) ? (JSON.parse(readFileSync(from, 'utf8')) as { modelTopology?: unknown }) : undefined;
    base = doc ? fromTopology(doc.modelTopology, label) : undefined;
  }
  return {
    layerTypes: [...(base?.layerTypes ?? []), ...layers],
    text: e.data?.format === 'jsonl' || (base?.text ?? false),
    pretrained: typeof e.model?.from === 'string' || (typeof e.pretrain === 'object' && e.pretrain !== null),
    label,
  };
}

function fromTopology(topology: unknown, label: string): TeacherFacts | undefined {
  const t = topology as { model_config?: { config?: { layers?: { class_name?: string }[] } }; config?: { layers?: { class_name?: string }[] } } | undefined;
  const layers = t?.model_config?.config?.layers ?? t?.config?.layers;
  if (!Array.isArray(layers)) return undefined;
  const types = layers.map((l) => String(l?.class_name ?? '')).filter((c) => c !== 'InputLayer');
  return { layerTypes: types, text: types[0] === 'Embedding', pretrained: false, label };
}
