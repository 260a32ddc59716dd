import type { DistillEvent, DistillLayerInfo, RunEvent } from '../../core/train/events';
import { isFiniteNumber } from '../shared/validators';

/**
 * What the distillation panel shows of one `distill` run, folded from its events
 * (`runner/distillJob.ts` writes them to `events.jsonl` as it goes, so a live run, a reload and
 * a finished run's reopen all show the same): the loss lanes of each stage, the arms next to the
 * teacher, and for data-free arms the synthetic inputs per class and the batch-norm match.
 * Pure; every number is checked (a run folder is data from disk).
 */
export type DistillRunStatus = 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted' | 'diverged';

export interface DistillHeader {
  runId: string;
  /** The run folder (the webview persists it so the panel comes back after a reload). */
  runDir: string;
  experiment: string;
  status: DistillRunStatus;
  message?: string;
}

export type ArmState = 'waiting' | 'running' | 'done';

export interface BatchNormGap {
  layer: string;
  /** Relative RMS gap of the batch mean / variance to the running ones, on the arm's synthetic set. */
  mean: number;
  variance: number;
  /** The same on Gaussian noise (what synthesis starts from). */
  meanBefore?: number;
  varianceBefore?: number;
}

export interface DistillArmView {
  name: string;
  method: string;
  stages: string[];
  state: ArmState;
  dataFree: boolean;
  accuracy?: number;
  parameters?: number;
  msPerExample?: number;
  trainSeconds?: number;
  examples?: number;
  /** Student layer -> teacher layer of the layer-wise losses (tinybert arms). */
  layerMap?: { student: string; teacher: string }[];
  /** The last value of each loss key the arm reported (`loss`, `hidden:<layer>`, `bn:<layer>`, ...), per stage. */
  finalLosses: Record<string, Record<string, number>>;
  /** A few synthetic inputs per class (data-free arms). */
  gallery?: { label: number; values: number[] }[];
  batchNorm?: BatchNormGap[];
}

/** One point of one loss lane: the mean of `key` over the steps before `step` of this stage. */
export interface LossPoint {
  arm: string;
  stage: string;
  lane: string;
  step: number;
  value: number;
}

export interface StageView {
  name: string;
  /** Lane labels, in the order they are drawn. */
  lanes: string[];
}

export interface DistillView extends DistillHeader {
  backend?: string;
  resumed: boolean;
  exampleShape: number[];
  imageShape?: [number, number, number];
  classNames: string[];
  teacher?: { parameters: number; accuracy?: number; msPerExample?: number; layers: DistillLayerInfo[]; batchNormLayers: string[] };
  student?: { parameters: number; layers: DistillLayerInfo[] };
  arms: DistillArmView[];
  stages: StageView[];
  points: LossPoint[];
}

const DATA_FREE = new Set(['noise', 'deepinversion', 'dafl']);
/** Points kept per (arm, stage, lane): the job writes at most ~200 per stage; more means a crafted file. */
const MAX_POINTS_PER_SERIES = 2000;

/**
 * The lane a metric key of a stage is drawn in (undefined: not a lane; per-layer keys such as
 * `bn:<layer>` and `hidden:<layer>` go to the inline hints). The total `loss` is named after
 * what it is in that stage: KD's soft cross-entropy in prediction and distillation stages.
 */
export function laneOf(stage: string, key: string): string | undefined {
  if (key.includes(':')) return undefined;
  switch (key) {
    case 'loss':
      if (stage === 'prediction' || stage === 'distillation') return 'KD (soft cross-entropy)';
      if (stage === 'supervised') return 'cross-entropy (labels)';
      return 'total';
    case 'embedding':
      return 'embedding MSE';
    case 'hidden':
      return 'hidden-state MSE';
    case 'attention':
      return 'attention MSE';
    case 'ce':
      return 'class cross-entropy';
    case 'bn':
      return 'BN statistics';
    case 'tv':
      return 'total variation';
    case 'l2':
      return 'input L2';
    case 'oneHot':
      return 'one-hot';
    case 'activation':
      return 'activation';
    case 'balance':
      return 'class balance';
    case 'competition':
      return 'competition (1 − JS teacher, student)';
    case 'studentKd':
      return 'student KD between batches';
    case 'accuracy':
      return 'student test accuracy';
    case 'teacherAccuracy':
      return 'teacher agrees with target';
    default:
      return key;
  }
}

/** Lane order within a stage: the total (or KD) first, its parts, then accuracies. */
function laneRank(lane: string): number {
  if (lane === 'total' || lane.startsWith('KD') || lane.startsWith('cross-entropy')) return 0;
  if (lane.includes('accuracy') || lane.includes('agrees')) return 2;
  return 1;
}

/** The panel's view of a run from its record fields and events. */
export function distillView(header: DistillHeader, events: readonly RunEvent[]): DistillView {
  const distill = events.filter((e): e is DistillEvent => typeof e.type === 'string' && e.type.startsWith('distill-'));
  const starts = distill.filter((e): e is Extract<DistillEvent, { type: 'distill-start' }> => e.type === 'distill-start');
  const start = starts[starts.length - 1];
  const armOrder = (start?.arms ?? []).filter((a) => typeof a?.name === 'string');
  const arms = new Map<string, DistillArmView>();
  const armOf = (name: string, method = name): DistillArmView => {
    let a = arms.get(name);
    if (!a) {
      const plan = armOrder.find((p) => p.name === name);
      a = { name, method: plan?.method ?? method, stages: plan?.stages ?? [], state: 'waiting', dataFree: DATA_FREE.has(plan?.method ?? method), finalLosses: {} };
      arms.set(name, a);
    }
    return a;
  };
  if (start?.general) armOf('general', 'general').stages = ['general'];
  for (const p of armOrder) armOf(p.name, p.method);

  // Loss points: a resumed run repeats the steps after its last checkpoint; the later ones win.
  const series = new Map<string, LossPoint[]>();
  const stageLanes = new Map<string, Set<string>>();
  let teacherAccuracy: number | undefined;
  let end: Extract<DistillEvent, { type: 'distill-end' }> | undefined;
  for (const e of distill) {
    if (e.type === 'distill-step') {
      if (typeof e.arm !== 'string' || typeof e.stage !== 'string' || !isFiniteNumber(e.stageStep) || typeof e.metrics !== 'object' || e.metrics === null) continue;
      const arm = armOf(e.arm);
      if (arm.state === 'waiting') arm.state = 'running';
      const finals = (arm.finalLosses[e.stage] ??= {});
      for (const [key, value] of Object.entries(e.metrics)) {
        if (!isFiniteNumber(value)) continue;
        finals[key] = value;
        const lane = laneOf(e.stage, key);
        if (!lane) continue;
        if (!stageLanes.has(e.stage)) stageLanes.set(e.stage, new Set());
        stageLanes.get(e.stage)!.add(lane);
        const id = `${e.arm}\u0000${e.stage}\u0000${lane}`;
        const s = series.get(id) ?? [];
        while (s.length > 0 && s[s.length - 1].step >= e.stageStep) s.pop();
        if (s.length < MAX_POINTS_PER_SERIES) s.push({ arm: e.arm, stage: e.stage, lane, step: e.stageStep, value });
        series.set(id, s);
      }
    } else if (e.type === 'distill-arm') {
      if (typeof e.arm !== 'string') continue;
      const arm = armOf(e.arm, e.method);
      arm.state = 'done';
      if (isFiniteNumber(e.accuracy)) arm.accuracy = e.accuracy;
      if (isFiniteNumber(e.parameters)) arm.parameters = e.parameters;
      if (isFiniteNumber(e.trainSeconds)) arm.trainSeconds = e.trainSeconds;
      if (isFiniteNumber(e.examples)) arm.examples = e.examples;
      if (Array.isArray(e.layerMap)) arm.layerMap = e.layerMap.filter((m) => typeof m?.student === 'string' && typeof m?.teacher === 'string');
      if (Array.isArray(e.gallery)) arm.gallery = e.gallery.filter((g) => Number.isInteger(g?.label) && Array.isArray(g.values) && g.values.every(isFiniteNumber));
      if (Array.isArray(e.batchNormMatch)) arm.batchNorm = batchNormGaps(e.batchNormMatch, e.batchNormBefore);
    } else if (e.type === 'distill-teacher') {
      if (isFiniteNumber(e.accuracy)) teacherAccuracy = e.accuracy;
    } else if (e.type === 'distill-end') {
      end = e;
    }
  }
  const teacher: DistillView['teacher'] = start?.teacher
    ? { parameters: start.teacher.parameters, layers: start.teacher.layers ?? [], batchNormLayers: start.teacher.batchNormLayers ?? [], ...(teacherAccuracy !== undefined ? { accuracy: teacherAccuracy } : {}) }
    : undefined;
  if (end) {
    if (teacher && end.teacher && isFiniteNumber(end.teacher.msPerExample)) teacher.msPerExample = end.teacher.msPerExample;
    for (const a of end.arms ?? []) {
      const arm = arms.get(a.name);
      if (arm && isFiniteNumber(a.msPerExample)) arm.msPerExample = a.msPerExample;
    }
  }
  // Arms a stopped run never reached stay "waiting"; a running arm of an ended run did not finish.
  // A lane that is 0 throughout is a term with nothing to compare (attention and embedding MSE
  // of an MLP student): left out.
  const kept = [...series.values()].filter((s) => s.some((p) => p.value !== 0));
  const stages: StageView[] = [];
  const stageOrder = [...new Set([...arms.values()].flatMap((a) => a.stages).concat([...stageLanes.keys()]))];
  for (const name of stageOrder) {
    const lanes = [...(stageLanes.get(name) ?? [])].filter((l) => kept.some((s) => s[0].stage === name && s[0].lane === l)).sort((a, b) => laneRank(a) - laneRank(b));
    if (lanes.length > 0) stages.push({ name, lanes });
  }
  const imageShape = start?.imageShape && start.imageShape.length === 3 && start.imageShape.every((n) => Number.isInteger(n) && n > 0) ? start.imageShape : undefined;
  return {
    ...header,
    ...(start?.backend ? { backend: start.backend } : {}),
    resumed: starts.some((s) => s.resumed === true),
    exampleShape: start?.exampleShape ?? [],
    ...(imageShape ? { imageShape } : {}),
    classNames: start?.classNames ?? [],
    ...(teacher ? { teacher } : {}),
    ...(start?.student ? { student: { parameters: start.student.parameters, layers: start.student.layers ?? [] } } : {}),
    arms: [...arms.values()].filter((a) => a.name !== 'general' || a.state !== 'waiting'),
    stages,
    points: kept.flat(),
  };
}

function batchNormGaps(after: { layer: string; mean: number; variance: number }[], before: { layer: string; mean: number; variance: number }[] | undefined): BatchNormGap[] {
  return after
    .filter((g) => typeof g?.layer === 'string' && isFiniteNumber(g.mean) && isFiniteNumber(g.variance))
    .map((g) => {
      const b = before?.find((x) => x?.layer === g.layer && isFiniteNumber(x.mean) && isFiniteNumber(x.variance));
      return { layer: g.layer, mean: g.mean, variance: g.variance, ...(b ? { meanBefore: b.mean, varianceBefore: b.variance } : {}) };
    });
}

/** A class's name for people (`classNames` when the data has them, else the index). */
export function className(view: Pick<DistillView, 'classNames'>, label: number): string {
  return view.classNames[label] ?? String(label);
}

/** The gallery of an arm by class, in class order: what the webview draws row by row. */
export function galleryByClass(arm: DistillArmView): { label: number; images: number[][] }[] {
  const byClass = new Map<number, number[][]>();
  for (const g of arm.gallery ?? []) {
    if (!byClass.has(g.label)) byClass.set(g.label, []);
    byClass.get(g.label)!.push(g.values);
  }
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([label, images]) => ({ label, images }));
}

/**
 * Grey levels 0..255 of one synthetic image for the gallery: min-max scaled over the image
 * (synthetic inputs leave the data's range; the picture shows their structure).
 */
export function imageGreys(values: readonly number[]): Uint8ClampedArray {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  return Uint8ClampedArray.from(values, (v) => Math.round(((v - lo) / span) * 255));
}

/** Rows of the arms table (teacher first, as the reference): what the bars and the CSV show. */
export interface ArmRow {
  name: string;
  method: string;
  teacher: boolean;
  accuracy?: number;
  parameters?: number;
  msPerExample?: number;
  trainSeconds?: number;
  /** Parameters and speed as "x smaller" / "x faster" than the teacher. */
  smaller?: number;
  faster?: number;
  /** Accuracy as a share of the teacher's. */
  ofTeacher?: number;
}

export function armRows(view: DistillView): ArmRow[] {
  const t = view.teacher;
  const rows: ArmRow[] = [];
  if (t) rows.push({ name: 'teacher', method: 'teacher', teacher: true, accuracy: t.accuracy, parameters: t.parameters, msPerExample: t.msPerExample });
  for (const a of view.arms) {
    if (a.name === 'general') continue;
    rows.push({
      name: a.name, method: a.method, teacher: false,
      accuracy: a.accuracy, parameters: a.parameters, msPerExample: a.msPerExample, trainSeconds: a.trainSeconds,
      ...(t?.parameters && a.parameters ? { smaller: t.parameters / a.parameters } : {}),
      ...(t?.msPerExample && a.msPerExample ? { faster: t.msPerExample / a.msPerExample } : {}),
      ...(t?.accuracy && a.accuracy !== undefined ? { ofTeacher: a.accuracy / t.accuracy } : {}),
    });
  }
  return rows;
}

/** The arms table as CSV columns (the export). */
export const ARM_CSV_HEADER = ['arm', 'method', 'accuracy', 'parameters', 'msPerExample', 'trainSeconds', 'timesSmaller', 'timesFaster', 'shareOfTeacherAccuracy'] as const;

export function armCsvRows(view: DistillView): (string | number | undefined)[][] {
  return armRows(view).map((r) => [r.name, r.method, r.accuracy, r.parameters, r.msPerExample, r.trainSeconds, r.smaller, r.faster, r.ofTeacher]);
}

/** The loss points as CSV (the lanes' export). */
export const LOSS_CSV_HEADER = ['arm', 'stage', 'lane', 'step', 'value'] as const;

export function lossCsvRows(view: DistillView): (string | number)[][] {
  return view.points.map((p) => [p.arm, p.stage, p.lane, p.step, p.value]);
}
