import type { DistillArmMethod, LayerConfig, TrainExperiment } from '../experiment/types';

/** What a new distill experiment is for: with the teacher's data, or without it. */
export type DistillTemplateMode = 'data' | 'data-free';

/**
 * The student a teacher suggests (TinyBERT's recipe, docs/distillation.md): half the hidden
 * blocks and a quarter of the width. A block is a weighted layer (dense, conv2d, transformer
 * encoder) with the unweighted layers after it (batch norm, dropout, pooling); every other
 * hidden block is kept (the uniform layer map then pairs student block m with teacher block 2m),
 * the classifier always. Widths are divided by 4 (at least 4 units; a transformer's width stays
 * a multiple of its heads). Layers outside blocks (flatten, pooling before the first block) stay.
 */
export function studentLayers(teacher: LayerConfig[]): LayerConfig[] {
  const weighted = (l: LayerConfig) => l.type === 'dense' || l.type === 'conv2d' || l.type === 'transformerEncoder';
  const head: LayerConfig[] = [];
  const blocks: LayerConfig[][] = [];
  for (const l of teacher) {
    if (weighted(l)) blocks.push([l]);
    else if (blocks.length > 0) blocks[blocks.length - 1].push(l);
    else head.push(l);
  }
  if (blocks.length === 0) return teacher.map((l) => ({ ...l }));
  const classifier = blocks.pop()!;
  // Keep blocks 1, 3, 5, ... (the second of each pair): student m <- teacher 2m, counted from 1.
  const kept = blocks.length <= 1 ? blocks : blocks.filter((_, i) => i % 2 === 1);
  const quarter = (n: number | undefined, multipleOf = 1) => (n === undefined ? undefined : Math.max(4, Math.ceil(Math.max(1, Math.round(n / 4)) / multipleOf) * multipleOf));
  const heads = teacher.find((l) => l.type === 'transformerEncoder')?.numHeads ?? 1;
  const shrink = (l: LayerConfig): LayerConfig => {
    const out: LayerConfig = { ...l };
    if (l.type === 'dense') out.units = quarter(l.units);
    if (l.type === 'conv2d') out.filters = quarter(l.filters);
    if (l.type === 'embedding') out.outputDim = quarter(l.outputDim, heads);
    if (l.type === 'transformerEncoder') out.ffDim = quarter(l.ffDim);
    return rename(out);
  };
  return [...head.map(shrink), ...kept.flat().map(shrink), ...classifier.map((l) => rename({ ...l }))];
}

function rename(l: LayerConfig): LayerConfig {
  return l.name ? { ...l, name: `s_${l.name}` } : l;
}

/** Arms of a new experiment: every comparison the mode allows for this teacher. */
export function templateArms(teacher: TrainExperiment, mode: DistillTemplateMode): DistillArmMethod[] {
  const text = teacher.data?.format === 'jsonl';
  const hasBn = (teacher.model.layers ?? []).some((l) => l.type === 'batchNormalization');
  if (mode === 'data') return text ? ['student', 'kd', 'tinybert', 'tinybert+aug'] : ['student', 'kd'];
  return hasBn ? ['noise', 'deepinversion', 'dafl'] : ['noise', 'dafl'];
}

/**
 * The text of a new distill experiment for a teacher experiment (`teacherRef` as the file will
 * name it, relative to where it is written): the derived student, the mode's arms, the
 * teacher's batch size and seed. JSON with a comment that says how it was made.
 */
export function distillExperimentText(teacher: TrainExperiment, teacherRef: string, mode: DistillTemplateMode): string {
  const arms = templateArms(teacher, mode);
  const doc = {
    kind: 'distill',
    name: `${teacher.name}-${mode === 'data' ? 'distill' : 'datafree'}`,
    teacher: teacherRef,
    student: { layers: studentLayers(teacher.model.layers ?? []) },
    arms,
    training: { epochs: teacher.training.epochs, batchSize: teacher.training.batchSize, seed: teacher.training.seed ?? 0, ...(mode === 'data-free' ? { temperature: 4 } : {}) },
    // KD on fresh jittered views of the synthetic inputs (ignored for inputs that are not images): docs/distillation.md, round 5.
    ...(mode === 'data-free' ? { synthesis: { samples: 2048, batchSize: 256, steps: 150, jitter: 2, views: true } } : {}),
    ...(arms.includes('tinybert') ? { tinybert: { intermediateEpochs: 3, predictionEpochs: 2 }, augment: { source: 'teacher-neighbours', copies: 4, probability: 0.4 } } : {}),
  };
  const why = mode === 'data'
    ? 'Distil the teacher into a student with half its blocks and a quarter of its width, on its own data.'
    : 'Distil the teacher without its training data: synthetic inputs (DeepInversion, DAFL) against KD on noise. The training split is never read.';
  return `// ${why}\n// Made by Model Lab; edit the student or the arms, then run this file (docs/distillation.md).\n${JSON.stringify(doc, null, 2)}\n`;
}
